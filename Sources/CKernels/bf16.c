// bf16 GEMM: weights stored as bf16 (half the bytes of fp32), in two forms.
//   Widening (any AVX2 CPU): each weight is widened to fp32 in registers and multiplied
//   with fp32 activations by FMA: the numerics of fp32 with bf16 weights, the memory
//   traffic halved, more instructions per multiply than fp32.
//   Dot (AVX-512 BF16): vdpbf16ps multiplies pairs of bf16 activations and weights and
//   adds both products into an fp32 lane: twice the multiplies per instruction of an FMA.
// Each has a plain reference with its numerics; the fast kernels are tested against them.
#include <stddef.h>
#include <string.h>

#include "sluice_kernels.h"

static inline float bf16_to_float(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t sluice_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 0x40);  // NaN stays a (quiet) NaN
    u += 0x7fff + ((u >> 16) & 1);  // round to nearest, ties to even
    return (uint16_t)(u >> 16);
}

void sluice_bf16_round(const float *x, long count, uint16_t *out) {
    for (long i = 0; i < count; i++) out[i] = sluice_bf16_from_float(x[i]);
}

void sluice_bf16_round_floats(const float *x, long count, float *out) {
    for (long i = 0; i < count; i++) out[i] = bf16_to_float(sluice_bf16_from_float(x[i]));
}

static int is_dot(int kernel) { return kernel == SLUICE_BF16_REFERENCE_DOT || kernel == SLUICE_BF16_AVX512_DOT; }

void sluice_bf16_pack(int kernel, const float *w, int n, int k, uint16_t *packed) {
    for (int p = 0; p < n / 16; p++) {
        uint16_t *dst = packed + (size_t)p * 16 * k;
        for (int j = 0; j < 16; j++) {
            const float *src = w + (size_t)(16 * p + j) * k;
            for (int t = 0; t < k; t++) {
                size_t at = is_dot(kernel) ? (size_t)(t / 2) * 32 + j * 2 + (t & 1) : (size_t)t * 16 + j;
                dst[at] = sluice_bf16_from_float(src[t]);
            }
        }
    }
}

static void bf16_reference(
    int dot, const float *a, const uint16_t *abf, int rows, int k, const uint16_t *packed, const float *bias,
    float *c, int n, int pb, int pe) {
    for (int p = pb; p < pe; p++) {
        const uint16_t *b = packed + (size_t)p * 16 * k;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < 16; j++) {
                float s = bias ? bias[16 * p + j] : 0;
                for (int t = 0; t < k; t++) {
                    float x = dot ? bf16_to_float(abf[(size_t)r * k + t]) : a[(size_t)r * k + t];
                    size_t at = dot ? (size_t)(t / 2) * 32 + j * 2 + (t & 1) : (size_t)t * 16 + j;
                    s += x * bf16_to_float(b[at]);
                }
                c[(size_t)r * n + 16 * p + j] = s;
            }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// 6 rows x 16 columns in twelve fp32 accumulators, as the fp32 packed kernel; per k,
// 16 bf16 weights (32 bytes) are widened to two fp32 vectors.
__attribute__((target("avx2,fma"))) static void bf16_widen_avx2(
    const float *a, int rows, int k, const uint16_t *packed, const float *bias, float *c, int n, int pb, int pe) {
    for (int p = pb; p < pe; p++) {
        const uint16_t *b = packed + (size_t)p * 16 * k;
        const int col = 16 * p;
        const __m256 i0 = bias ? _mm256_loadu_ps(bias + col) : _mm256_setzero_ps();
        const __m256 i1 = bias ? _mm256_loadu_ps(bias + col + 8) : _mm256_setzero_ps();
        for (int r = 0; r < rows; r += 6) {
            int m = rows - r < 6 ? rows - r : 6;
            const float *ar[6];
            for (int i = 0; i < 6; i++) ar[i] = a + (size_t)(r + (i < m ? i : m - 1)) * k;
            __m256 c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1;
            __m256 c30 = i0, c31 = i1, c40 = i0, c41 = i1, c50 = i0, c51 = i1;
            const uint16_t *bp = b;
            for (int t = 0; t < k; t++, bp += 16) {
                const __m256i h = _mm256_loadu_si256((const __m256i *)bp);
                const __m256 w0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(h)), 16));
                const __m256 w1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1)), 16));
                __m256 x;
                x = _mm256_broadcast_ss(ar[0] + t);
                c00 = _mm256_fmadd_ps(x, w0, c00);
                c01 = _mm256_fmadd_ps(x, w1, c01);
                x = _mm256_broadcast_ss(ar[1] + t);
                c10 = _mm256_fmadd_ps(x, w0, c10);
                c11 = _mm256_fmadd_ps(x, w1, c11);
                x = _mm256_broadcast_ss(ar[2] + t);
                c20 = _mm256_fmadd_ps(x, w0, c20);
                c21 = _mm256_fmadd_ps(x, w1, c21);
                x = _mm256_broadcast_ss(ar[3] + t);
                c30 = _mm256_fmadd_ps(x, w0, c30);
                c31 = _mm256_fmadd_ps(x, w1, c31);
                x = _mm256_broadcast_ss(ar[4] + t);
                c40 = _mm256_fmadd_ps(x, w0, c40);
                c41 = _mm256_fmadd_ps(x, w1, c41);
                x = _mm256_broadcast_ss(ar[5] + t);
                c50 = _mm256_fmadd_ps(x, w0, c50);
                c51 = _mm256_fmadd_ps(x, w1, c51);
            }
            __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
            for (int i = 0; i < m; i++) {
                _mm256_storeu_ps(c + (size_t)(r + i) * n + col, acc[2 * i]);
                _mm256_storeu_ps(c + (size_t)(r + i) * n + col + 8, acc[2 * i + 1]);
            }
        }
    }
}

// 6 rows x 16 columns; per pair of k, one 32-bit broadcast of the row's two bf16
// activations and two vdpbf16ps per row.
__attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512bf16"))) static void bf16_dot_avx512(
    const uint16_t *abf, int rows, int k, const uint16_t *packed, const float *bias, float *c, int n, int pb,
    int pe) {
    for (int p = pb; p < pe; p++) {
        const uint16_t *b = packed + (size_t)p * 16 * k;
        const int col = 16 * p;
        const __m256 i0 = bias ? _mm256_loadu_ps(bias + col) : _mm256_setzero_ps();
        const __m256 i1 = bias ? _mm256_loadu_ps(bias + col + 8) : _mm256_setzero_ps();
        for (int r = 0; r < rows; r += 6) {
            int m = rows - r < 6 ? rows - r : 6;
            const uint16_t *ar[6];
            for (int i = 0; i < 6; i++) ar[i] = abf + (size_t)(r + (i < m ? i : m - 1)) * k;
            __m256 c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1;
            __m256 c30 = i0, c31 = i1, c40 = i0, c41 = i1, c50 = i0, c51 = i1;
            const uint16_t *bp = b;
            for (int t = 0; t < k; t += 2, bp += 32) {
                const __m256bh w0 = (__m256bh)_mm256_loadu_si256((const __m256i *)bp);
                const __m256bh w1 = (__m256bh)_mm256_loadu_si256((const __m256i *)(bp + 16));
                int32_t v;
                __m256bh x;
#define BF16_ROW(i, ca, cb)                          \
    memcpy(&v, ar[i] + t, 4);                        \
    x = (__m256bh)_mm256_set1_epi32(v);              \
    ca = _mm256_dpbf16_ps(ca, x, w0);                \
    cb = _mm256_dpbf16_ps(cb, x, w1);
                BF16_ROW(0, c00, c01)
                BF16_ROW(1, c10, c11)
                BF16_ROW(2, c20, c21)
                BF16_ROW(3, c30, c31)
                BF16_ROW(4, c40, c41)
                BF16_ROW(5, c50, c51)
#undef BF16_ROW
            }
            __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
            for (int i = 0; i < m; i++) {
                _mm256_storeu_ps(c + (size_t)(r + i) * n + col, acc[2 * i]);
                _mm256_storeu_ps(c + (size_t)(r + i) * n + col + 8, acc[2 * i + 1]);
            }
        }
    }
}

int sluice_bf16_kernel_available(int kernel) {
    unsigned f = sluice_cpu_features();
    switch (kernel) {
    case SLUICE_BF16_REFERENCE:
    case SLUICE_BF16_REFERENCE_DOT: return 1;
    case SLUICE_BF16_WIDEN_AVX2: return (f & SLUICE_CPU_AVX2) != 0;
    case SLUICE_BF16_AVX512_DOT: return (f & SLUICE_CPU_AVX512_BF16) && (f & SLUICE_CPU_AVX2);
    default: return 0;
    }
}

void sluice_bf16_gemm(
    int kernel, const float *a, const uint16_t *abf, int rows, int k, const uint16_t *packed, const float *bias,
    float *c, int n, int pb, int pe) {
    switch (kernel) {
    case SLUICE_BF16_WIDEN_AVX2: bf16_widen_avx2(a, rows, k, packed, bias, c, n, pb, pe); return;
    case SLUICE_BF16_AVX512_DOT: bf16_dot_avx512(abf, rows, k, packed, bias, c, n, pb, pe); return;
    default: bf16_reference(is_dot(kernel), a, abf, rows, k, packed, bias, c, n, pb, pe);
    }
}
#else
int sluice_bf16_kernel_available(int kernel) {
    return kernel == SLUICE_BF16_REFERENCE || kernel == SLUICE_BF16_REFERENCE_DOT;
}
void sluice_bf16_gemm(
    int kernel, const float *a, const uint16_t *abf, int rows, int k, const uint16_t *packed, const float *bias,
    float *c, int n, int pb, int pe) {
    bf16_reference(is_dot(kernel), a, abf, rows, k, packed, bias, c, n, pb, pe);
}
#endif
