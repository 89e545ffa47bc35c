/* libFuzzer harness: the ONNX importer (input format in fuzz_inputs.h). */
#include "fuzz_inputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)fuzz_onnx(data, size);
    return 0;
}
