// int8 quantization and the plain reference GEMM every fast int8 kernel is tested against.
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "sluice_kernels.h"

void sluice_q8_quantize_weights(const float *w, int n, int k, int8_t *q, float *scale) {
    for (int j = 0; j < n; j++) {
        const float *row = w + (size_t)j * k;
        float m = 0;
        for (int t = 0; t < k; t++) m = fmaxf(m, fabsf(row[t]));
        float s = m > 0 ? m / SLUICE_Q8_WEIGHT_MAX : 1;
        scale[j] = s;
        for (int t = 0; t < k; t++) {
            long v = lrintf(row[t] / s);
            q[(size_t)j * k + t] = (int8_t)(v > SLUICE_Q8_WEIGHT_MAX ? SLUICE_Q8_WEIGHT_MAX
                                           : v < -SLUICE_Q8_WEIGHT_MAX ? -SLUICE_Q8_WEIGHT_MAX
                                                                       : v);
        }
    }
}

void sluice_q8_pack(const int8_t *q, int n, int k, int8_t *packed, int32_t *colsum) {
    for (int j = 0; j < n; j++) {
        int32_t s = 0;
        for (int t = 0; t < k; t++) s += q[(size_t)j * k + t];
        colsum[j] = s;
    }
    for (int p = 0; p < n / 16; p++)
        for (int g = 0; g < k / 4; g++)
            for (int j = 0; j < 16; j++)
                for (int t = 0; t < 4; t++)
                    packed[(size_t)p * 16 * k + (size_t)g * 64 + j * 4 + t] = q[(size_t)(16 * p + j) * k + 4 * g + t];
}

// The range always includes 0, so the zero point is an exact integer in 0..255 and a
// row of zeros stays exactly zero. The AVX2 variant (q8_x86.c) gives the same bytes.
void sluice_q8_row_params(float lo, float hi, float *scale, int32_t *zero, float *inv) {
    float s = hi > lo ? (hi - lo) / 255 : 1;
    long z = lrintf(-lo / s);
    z = z < 0 ? 0 : z > 255 ? 255 : z;
    *scale = s;
    *zero = (int32_t)z;
    *inv = 1 / s;
}

void sluice_q8_quantize_rows_reference(const float *x, int rows, int k, uint8_t *q, float *scale, int32_t *zero) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        float lo = 0, hi = 0;
        for (int t = 0; t < k; t++) {
            lo = fminf(lo, row[t]);
            hi = fmaxf(hi, row[t]);
        }
        float inv;
        sluice_q8_row_params(lo, hi, scale + r, zero + r, &inv);
        long z = zero[r];
        uint8_t *out = q + (size_t)r * k;
        for (int t = 0; t < k; t++) {
            long v = lrintf(row[t] * inv) + z;
            out[t] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

// The epilogue every kernel shares, written as separate statements so that no
// compiler fuses them differently in one kernel than in another.
static inline float q8_dequantize(int32_t acc, int32_t z, int32_t colsum, float sa, float sw, const float *bias, int j) {
    int32_t v = acc - z * colsum;
    float s = sa * sw;
    float y = (float)v * s;
    return bias ? y + bias[j] : y;
}

void sluice_q8_gemm_reference(
    const uint8_t *qa, const float *sa, const int32_t *za, int rows, int k, const int8_t *packed,
    const int32_t *colsum, const float *sw, const float *bias, float *c, int n, int pb, int pe) {
    for (int p = pb; p < pe; p++) {
        const int8_t *b = packed + (size_t)p * 16 * k;
        for (int r = 0; r < rows; r++) {
            const uint8_t *a = qa + (size_t)r * k;
            for (int j = 0; j < 16; j++) {
                int32_t acc = 0;
                for (int g = 0; g < k / 4; g++)
                    for (int t = 0; t < 4; t++) acc += (int32_t)a[4 * g + t] * (int32_t)b[(size_t)g * 64 + j * 4 + t];
                int col = 16 * p + j;
                c[(size_t)r * n + col] = q8_dequantize(acc, za[r], colsum[col], sa[r], sw[col], bias, col);
            }
        }
    }
}
