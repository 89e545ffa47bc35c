/* placeholder until written */
#include "mlp_internal.h"
