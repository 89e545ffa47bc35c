/* libFuzzer harness: the model reader (input format in fuzz_inputs.h). */
#include "fuzz_inputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)fuzz_model(data, size);
    return 0;
}
