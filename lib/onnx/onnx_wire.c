/* A pass over the protobuf wire format before protobuf-c unpacks it: protobuf-c recurses
 * once per nested message with no limit, so a small hostile file (an attribute holding a
 * graph holding an attribute ...) could exhaust the stack. Lengths are checked here too,
 * so a truncated file is reported as such. */
#include "onnx_internal.h"

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return 0;
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0; /* more than ten bytes: not a varint */
}

static mlp_status walk(const uint8_t *p, const uint8_t *end,
                       const ProtobufCMessageDescriptor *desc, unsigned depth,
                       mlp_error_detail *detail)
{
    if (depth > MLP_ONNX_MAX_DEPTH)
        return mlp_fail(detail, MLP_ERR_FORMAT,
                        "onnx: messages nested more than %d deep: not an MLP graph",
                        MLP_ONNX_MAX_DEPTH);
    while (p < end) {
        uint64_t tag, v;
        if (!read_varint(&p, end, &tag))
            return mlp_fail(detail, MLP_ERR_TRUNCATED, "onnx: the file ends inside a field tag");
        unsigned wire = (unsigned)(tag & 7);
        size_t left = (size_t)(end - p);
        switch (wire) {
        case 0:
            if (!read_varint(&p, end, &v))
                return mlp_fail(detail, MLP_ERR_TRUNCATED, "onnx: the file ends inside a number");
            break;
        case 1:
        case 5: {
            size_t n = wire == 1 ? 8 : 4;
            if (left < n)
                return mlp_fail(detail, MLP_ERR_TRUNCATED, "onnx: the file ends inside a number");
            p += n;
            break;
        }
        case 2: {
            if (!read_varint(&p, end, &v))
                return mlp_fail(detail, MLP_ERR_TRUNCATED, "onnx: the file ends inside a length");
            if (v > (uint64_t)(end - p))
                return mlp_fail(detail, MLP_ERR_TRUNCATED,
                                "onnx: a field of %llu bytes runs past the end of the file",
                                (unsigned long long)v);
            const ProtobufCFieldDescriptor *f =
                desc && tag >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3))
                    : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                mlp_status st = walk(p, p + v, f->descriptor, depth + 1, detail);
                if (st != MLP_OK) return st;
            }
            p += v;
            break;
        }
        default:
            return mlp_fail(detail, MLP_ERR_FORMAT,
                            "onnx: not an ONNX model (protobuf wire type %u)", wire);
        }
    }
    return MLP_OK;
}

mlp_status mlp_onnx_check_wire(const uint8_t *data, size_t size,
                               const ProtobufCMessageDescriptor *desc, mlp_error_detail *detail)
{
    return walk(data, data + size, desc, 0, detail);
}
