// The fast int8 kernels: one micro-kernel (4 rows x 16 columns, int32 accumulators in
// eight 256-bit registers) compiled three times, for AVX2, AVX-VNNI and AVX-512 VNNI.
// They differ only in how 4 byte products are summed into an int32 lane:
//   AVX2:  vpmaddubsw (u8 x s8 pairs into int16) then vpmaddwd by ones (pairs into int32);
//   VNNI:  vpdpbusd, the same sum in one instruction.
// With weights in -63..63 the int16 step cannot saturate, so all three give the same
// integers as the reference (q8_reference.c), and the same floats after the shared epilogue.
#include <stddef.h>
#include <string.h>

#include "sluice_kernels.h"

void sluice_q8_gemm_reference(
    const uint8_t *qa, const float *sa, const int32_t *za, int rows, int k, const int8_t *packed,
    const int32_t *colsum, const float *sw, const float *bias, float *c, int n, int pb, int pe);

void sluice_q8_row_params(float lo, float hi, float *scale, int32_t *zero, float *inv);

#if defined(__x86_64__)
#include <immintrin.h>

// Per row: min and max in 8 lanes, then x * inv rounded to nearest even (vcvtps2dq, as lrintf),
// plus the zero point, clamped to 0..255: the reference's bytes, 32 at a time. k % 32 == 0.
__attribute__((target("avx2,fma"))) static void q8_quantize_rows_avx2(
    const float *x, int rows, int k, uint8_t *q, float *scale, int32_t *zero) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * k;
        __m256 lo = _mm256_setzero_ps(), hi = lo;
        for (int t = 0; t < k; t += 8) {
            __m256 v = _mm256_loadu_ps(row + t);
            lo = _mm256_min_ps(lo, v);
            hi = _mm256_max_ps(hi, v);
        }
        float l[8], h[8];
        _mm256_storeu_ps(l, lo);
        _mm256_storeu_ps(h, hi);
        float mn = 0, mx = 0;
        for (int i = 0; i < 8; i++) {
            mn = l[i] < mn ? l[i] : mn;
            mx = h[i] > mx ? h[i] : mx;
        }
        float inv;
        sluice_q8_row_params(mn, mx, scale + r, zero + r, &inv);
        const __m256 iv = _mm256_set1_ps(inv);
        const __m256i z = _mm256_set1_epi32(zero[r]);
        uint8_t *out = q + (size_t)r * k;
        for (int t = 0; t < k; t += 32) {
            __m256i a = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + t), iv)), z);
            __m256i b = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + t + 8), iv)), z);
            __m256i c = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + t + 16), iv)), z);
            __m256i d = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row + t + 24), iv)), z);
            // int32 -> int16 (signed saturation) -> uint8 (unsigned saturation: clamps to 0..255);
            // the packs work within 128-bit lanes, so the last permute puts the bytes back in order.
            __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
            __m256i bytes = _mm256_packus_epi16(ab, cd);
            bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(out + t), bytes);
        }
    }
}

void sluice_q8_quantize_rows(const float *x, int rows, int k, uint8_t *q, float *scale, int32_t *zero) {
    if (k % 32 == 0 && (sluice_cpu_features() & SLUICE_CPU_AVX2))
        q8_quantize_rows_avx2(x, rows, k, q, scale, zero);
    else
        sluice_q8_quantize_rows_reference(x, rows, k, q, scale, zero);
}

// Rows of activations walked per panel sweep: 64 rows of k <= 1536 bytes stay in L2
// while every panel of the range (16k bytes each, in L1) passes over them.
#define Q8_ROW_BLOCK 64

#define Q8_KERNEL(NAME, TARGET, DOT)                                                                          \
    __attribute__((target(TARGET))) static void NAME(                                                       \
        const uint8_t *qa, const float *sa, const int32_t *za, int rows, int k, const int8_t *packed,       \
        const int32_t *colsum, const float *sw, const float *bias, float *c, int n, int pb, int pe) {       \
        const __m256i ones = _mm256_set1_epi16(1);                                                          \
        (void)ones;                                                                                         \
        for (int r0 = 0; r0 < rows; r0 += Q8_ROW_BLOCK) {                                                   \
            int r1 = r0 + Q8_ROW_BLOCK < rows ? r0 + Q8_ROW_BLOCK : rows;                                   \
            for (int p = pb; p < pe; p++) {                                                                 \
                const int8_t *b = packed + (size_t)p * 16 * k;                                              \
                const int col = 16 * p;                                                                     \
                const __m256i cs0 = _mm256_loadu_si256((const __m256i *)(colsum + col));                   \
                const __m256i cs1 = _mm256_loadu_si256((const __m256i *)(colsum + col + 8));               \
                const __m256 sw0 = _mm256_loadu_ps(sw + col), sw1 = _mm256_loadu_ps(sw + col + 8);          \
                const __m256 bz = _mm256_setzero_ps();                                                      \
                const __m256 b0v = bias ? _mm256_loadu_ps(bias + col) : bz;                                 \
                const __m256 b1v = bias ? _mm256_loadu_ps(bias + col + 8) : bz;                             \
                for (int r = r0; r < r1; r += 4) {                                                          \
                    int m = r1 - r < 4 ? r1 - r : 4;                                                        \
                    /* A short block repeats its last row (computed, not stored). */                        \
                    const uint8_t *a0 = qa + (size_t)r * k;                                                 \
                    const uint8_t *a1 = qa + (size_t)(r + (m > 1 ? 1 : 0)) * k;                             \
                    const uint8_t *a2 = qa + (size_t)(r + (m > 2 ? 2 : 0)) * k;                             \
                    const uint8_t *a3 = qa + (size_t)(r + (m > 3 ? 3 : 0)) * k;                             \
                    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;                  \
                    __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;                                     \
                    const int8_t *bp = b;                                                                   \
                    for (int g = 0; g < k; g += 4, bp += 64) {                                              \
                        const __m256i w0 = _mm256_loadu_si256((const __m256i *)bp);                         \
                        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(bp + 32));                  \
                        int32_t v;                                                                          \
                        __m256i x;                                                                          \
                        memcpy(&v, a0 + g, 4);                                                              \
                        x = _mm256_set1_epi32(v);                                                           \
                        c00 = DOT(c00, x, w0);                                                              \
                        c01 = DOT(c01, x, w1);                                                              \
                        memcpy(&v, a1 + g, 4);                                                              \
                        x = _mm256_set1_epi32(v);                                                           \
                        c10 = DOT(c10, x, w0);                                                              \
                        c11 = DOT(c11, x, w1);                                                              \
                        memcpy(&v, a2 + g, 4);                                                              \
                        x = _mm256_set1_epi32(v);                                                           \
                        c20 = DOT(c20, x, w0);                                                              \
                        c21 = DOT(c21, x, w1);                                                              \
                        memcpy(&v, a3 + g, 4);                                                              \
                        x = _mm256_set1_epi32(v);                                                           \
                        c30 = DOT(c30, x, w0);                                                              \
                        c31 = DOT(c31, x, w1);                                                              \
                    }                                                                                       \
                    __m256i acc[8] = {c00, c01, c10, c11, c20, c21, c30, c31};                              \
                    for (int i = 0; i < m; i++) {                                                           \
                        const __m256i z = _mm256_set1_epi32(za[r + i]);                                     \
                        const __m256 s = _mm256_set1_ps(sa[r + i]);                                         \
                        __m256i v0 = _mm256_sub_epi32(acc[2 * i], _mm256_mullo_epi32(z, cs0));              \
                        __m256i v1 = _mm256_sub_epi32(acc[2 * i + 1], _mm256_mullo_epi32(z, cs1));          \
                        __m256 y0 = _mm256_mul_ps(_mm256_cvtepi32_ps(v0), _mm256_mul_ps(s, sw0));           \
                        __m256 y1 = _mm256_mul_ps(_mm256_cvtepi32_ps(v1), _mm256_mul_ps(s, sw1));           \
                        if (bias) {                                                                         \
                            y0 = _mm256_add_ps(y0, b0v);                                                    \
                            y1 = _mm256_add_ps(y1, b1v);                                                    \
                        }                                                                                   \
                        float *out = c + (size_t)(r + i) * n + col;                                         \
                        _mm256_storeu_ps(out, y0);                                                          \
                        _mm256_storeu_ps(out + 8, y1);                                                      \
                    }                                                                                       \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
    }

#define DOT_AVX2(acc, x, w) _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones))
#define DOT_AVX_VNNI(acc, x, w) _mm256_dpbusd_avx_epi32(acc, x, w)
#define DOT_AVX512_VNNI(acc, x, w) _mm256_dpbusd_epi32(acc, x, w)

Q8_KERNEL(q8_avx2, "avx2,fma", DOT_AVX2)
Q8_KERNEL(q8_avx_vnni, "avx2,fma,avxvnni", DOT_AVX_VNNI)
Q8_KERNEL(q8_avx512_vnni, "avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni", DOT_AVX512_VNNI)

int sluice_q8_kernel_available(int kernel) {
    unsigned f = sluice_cpu_features();
    switch (kernel) {
    case SLUICE_Q8_REFERENCE: return 1;
    case SLUICE_Q8_AVX2: return (f & SLUICE_CPU_AVX2) != 0;
    case SLUICE_Q8_AVX_VNNI: return (f & SLUICE_CPU_AVX_VNNI) != 0;
    case SLUICE_Q8_AVX512_VNNI: return (f & SLUICE_CPU_AVX512_VNNI) && (f & SLUICE_CPU_AVX2);
    default: return 0;
    }
}

void sluice_q8_gemm(
    int kernel, const uint8_t *qa, const float *sa, const int32_t *za, int rows, int k, const int8_t *packed,
    const int32_t *colsum, const float *sw, const float *bias, float *c, int n, int pb, int pe) {
    switch (kernel) {
    case SLUICE_Q8_AVX2: q8_avx2(qa, sa, za, rows, k, packed, colsum, sw, bias, c, n, pb, pe); return;
    case SLUICE_Q8_AVX_VNNI: q8_avx_vnni(qa, sa, za, rows, k, packed, colsum, sw, bias, c, n, pb, pe); return;
    case SLUICE_Q8_AVX512_VNNI: q8_avx512_vnni(qa, sa, za, rows, k, packed, colsum, sw, bias, c, n, pb, pe); return;
    default: sluice_q8_gemm_reference(qa, sa, za, rows, k, packed, colsum, sw, bias, c, n, pb, pe);
    }
}
#else
void sluice_q8_quantize_rows(const float *x, int rows, int k, uint8_t *q, float *scale, int32_t *zero) {
    sluice_q8_quantize_rows_reference(x, rows, k, q, scale, zero);
}
int sluice_q8_kernel_available(int kernel) { return kernel == SLUICE_Q8_REFERENCE; }
void sluice_q8_gemm(
    int kernel, const uint8_t *qa, const float *sa, const int32_t *za, int rows, int k, const int8_t *packed,
    const int32_t *colsum, const float *sw, const float *bias, float *c, int n, int pb, int pe) {
    (void)kernel;
    sluice_q8_gemm_reference(qa, sa, za, rows, k, packed, colsum, sw, bias, c, n, pb, pe);
}
#endif
