/* Reading ONNX bytes: the file into memory, then protobuf-c's unpack with the library's
 * allocator, after the wire check of onnx_wire.c. */
#include "onnx_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void *pb_alloc(void *user, size_t size)
{
    (void)user;
    return mlp_mem_alloc(size ? size : 1);
}

static void pb_free(void *user, void *p)
{
    (void)user;
    mlp_mem_free(p);
}

void mlp_onnx_allocator(ProtobufCAllocator *a)
{
    a->alloc = pb_alloc;
    a->free = pb_free;
    a->allocator_data = NULL;
}

mlp_status mlp_onnx_unpack(Onnx__ModelProto **out, const void *data, size_t size,
                           mlp_error_detail *detail)
{
    mlp_status st = mlp_onnx_check_wire(data, size, &onnx__model_proto__descriptor, detail);
    if (st != MLP_OK) return st;
    ProtobufCAllocator a;
    mlp_onnx_allocator(&a);
    Onnx__ModelProto *m = onnx__model_proto__unpack(&a, size, data);
    if (!m) /* the wire check passed: a field of the wrong kind, or no memory */
        return mlp_fail(detail, MLP_ERR_FORMAT,
                        "onnx: not an ONNX model (a field does not have its schema's type)");
    *out = m;
    return MLP_OK;
}

void mlp_onnx_model_free(Onnx__ModelProto *model)
{
    if (!model) return;
    ProtobufCAllocator a;
    mlp_onnx_allocator(&a);
    onnx__model_proto__free_unpacked(model, &a);
}

mlp_status mlp_onnx_read_file(const char *path, unsigned char **data, size_t *size,
                              mlp_error_detail *detail)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        char why[128];
        mlp_errno_text(errno, why, sizeof why);
        return mlp_fail(detail, MLP_ERR_IO, "%s: %s", path, why);
    }
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    mlp_status st = MLP_OK;
    for (;;) {
        if (!mlp_mem_grow((void **)&buf, &cap, len + 65536, 1)) {
            st = MLP_ERR_NO_MEMORY;
            break;
        }
        size_t k = fread(buf + len, 1, cap - len, fp);
        len += k;
        if (k == 0) break;
    }
    if (st == MLP_OK && ferror(fp)) {
        char why[128];
        mlp_errno_text(errno, why, sizeof why);
        st = mlp_fail(detail, MLP_ERR_IO, "%s: reading: %s", path, why);
    }
    fclose(fp);
    if (st != MLP_OK) {
        mlp_mem_free(buf);
        return st;
    }
    *data = buf;
    *size = len;
    return MLP_OK;
}
