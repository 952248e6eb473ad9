// Which vector instruction sets this CPU runs, read once with cpuid. A feature counts
// only when the OS also saves its registers (xgetbv), as a VM may hide them.
#include "sluice_kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned probe(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    unsigned long long xcr0 = xgetbv0();
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
    if (!ymm) return 0;
    unsigned max = __get_cpuid_max(0, 0);
    if (max < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned ebx7 = b, ecx7 = c, eax7_1 = 0;
    unsigned subleaves = a;
    if (subleaves >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        eax7_1 = a;
    }
    unsigned f = 0;
    if (((ebx7 >> 5) & 1) && fma) f |= SLUICE_CPU_AVX2;
    int avx512 = zmm && ((ebx7 >> 16) & 1) && ((ebx7 >> 30) & 1) && ((ebx7 >> 31) & 1);  // F, BW, VL
    if (avx512) {
        f |= SLUICE_CPU_AVX512;
        if ((ecx7 >> 11) & 1) f |= SLUICE_CPU_AVX512_VNNI;
        if ((eax7_1 >> 5) & 1) f |= SLUICE_CPU_AVX512_BF16;
    }
    if ((f & SLUICE_CPU_AVX2) && ((eax7_1 >> 4) & 1)) f |= SLUICE_CPU_AVX_VNNI;
    return f;
}
// Probed once; a racing first call computes the same value, so a relaxed atomic suffices.
unsigned sluice_cpu_features(void) {
    static unsigned cached = 0;  // bit 31 set: probed
    unsigned v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (!(v & 0x80000000u)) {
        v = probe() | 0x80000000u;
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v & 0x7fffffffu;
}
#else
unsigned sluice_cpu_features(void) { return 0; }
#endif
