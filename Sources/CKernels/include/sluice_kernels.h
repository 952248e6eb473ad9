// The encoder's reduced-precision GEMM kernels and the CPU feature probe that picks them.
//
// Every kernel exists as a plain reference (portable C) and as one or more fast
// variants, each compiled for its instruction set with __attribute__((target))
// so one binary runs on any x86-64 CPU with AVX2: the caller asks which
// variants this CPU can run (sluice_cpu_features) and passes the one it wants.
#ifndef SLUICE_KERNELS_H
#define SLUICE_KERNELS_H

#include <stdint.h>

// ---- CPU features (cpuid + xgetbv: the instruction set and the OS saving its registers) ----
enum {
    SLUICE_CPU_AVX2 = 1 << 0,  // AVX2 and FMA
    SLUICE_CPU_AVX512 = 1 << 1,  // AVX-512 F, BW and VL
    SLUICE_CPU_AVX512_VNNI = 1 << 2,
    SLUICE_CPU_AVX512_BF16 = 1 << 3,
    SLUICE_CPU_AVX_VNNI = 1 << 4,  // the 256-bit VEX form (Alder Lake and later, Zen 5)
};
unsigned sluice_cpu_features(void);

// ---- int8: c[r, j] = sa[r] * sw[j] * sum_k (qa[r, k] - za[r]) * qw[j, k] + bias[j] ----
//
// Activations are quantized per row, asymmetric, to 0..255 (sluice_q8_quantize_rows).
// Weights are quantized per output channel, symmetric, to -63..63: with 8-bit
// activations a pair of products then fits the int16 that AVX2's vpmaddubsw sums
// into (2 * 255 * 63 < 32767), so every kernel computes the same exact integers.
#define SLUICE_Q8_WEIGHT_MAX 63

enum {
    SLUICE_Q8_REFERENCE = 0,
    SLUICE_Q8_AVX2 = 1,  // vpmaddubsw + vpmaddwd
    SLUICE_Q8_AVX_VNNI = 2,  // vpdpbusd, VEX 256-bit
    SLUICE_Q8_AVX512_VNNI = 3,  // vpdpbusd, EVEX 256-bit (AVX-512 VL)
};
/// Whether this CPU runs the kernel.
int sluice_q8_kernel_available(int kernel);

/// Quantizes w [n, k] (row-major, PyTorch's [out, in]) per row to -63..63: q [n, k], scale [n].
void sluice_q8_quantize_weights(const float *w, int n, int k, int8_t *q, float *scale);
/// Packs q [n, k] (n a multiple of 16, k of 4) into n/16 panels of [k/4][16][4] bytes:
/// packed[p*16k + g*64 + j*4 + t] = q[(16p + j)*k + 4g + t]; colsum[j] = sum_k q[j, k].
void sluice_q8_pack(const int8_t *q, int n, int k, int8_t *packed, int32_t *colsum);
/// Quantizes x [rows, k] per row to 0..255: q [rows, k], scale [rows], zero [rows]
/// (AVX2 when the CPU has it and k % 32 == 0; the same bytes as the reference).
void sluice_q8_quantize_rows(const float *x, int rows, int k, uint8_t *q, float *scale, int32_t *zero);
void sluice_q8_quantize_rows_reference(const float *x, int rows, int k, uint8_t *q, float *scale, int32_t *zero);
/// c[rows, n] (ldc n) for output columns of panels [panel_begin, panel_end); bias may be NULL.
void sluice_q8_gemm(
    int kernel, const uint8_t *qa, const float *sa, const int32_t *za, int rows, int k, const int8_t *packed,
    const int32_t *colsum, const float *sw, const float *bias, float *c, int n, int panel_begin, int panel_end);

// ---- bf16: c[r, j] = sum_k a[r, k] * bf16(w[j, k]) + bias[j] ----
enum {
    SLUICE_BF16_REFERENCE = 0,  // weights widened to fp32, fp32 activations (the widened kernel's numerics)
    SLUICE_BF16_WIDEN_AVX2 = 1,  // weights widened to fp32 in registers, fp32 FMAs
    SLUICE_BF16_REFERENCE_DOT = 2,  // activations rounded to bf16 too (the native kernel's numerics)
    SLUICE_BF16_AVX512_DOT = 3,  // vdpbf16ps, EVEX 256-bit
};
int sluice_bf16_kernel_available(int kernel);
/// Rounds to bf16, nearest even (NaN stays NaN).
uint16_t sluice_bf16_from_float(float x);
/// Packs w [n, k] as bf16 for `kernel` (n a multiple of 16, k even). The widening kernels take
/// n/16 panels of [k][16]; the dot kernels n/16 panels of [k/2][16][2] (pairs of k).
void sluice_bf16_pack(int kernel, const float *w, int n, int k, uint16_t *packed);
/// Rounds count floats to bf16 (the dot kernels' activations; round once, then split panels).
void sluice_bf16_round(const float *x, long count, uint16_t *out);
/// Rounds count floats to the nearest bf16 value, kept as floats (emulating the dot kernels' inputs).
void sluice_bf16_round_floats(const float *x, long count, float *out);
/// c[rows, n] (ldc n) for output columns of panels [panel_begin, panel_end). The widening kernels
/// read a [rows, k]; the dot kernels read abf, the same rows rounded by sluice_bf16_round.
void sluice_bf16_gemm(
    int kernel, const float *a, const uint16_t *abf, int rows, int k, const uint16_t *packed, const float *bias,
    float *c, int n, int panel_begin, int panel_end);

#endif
