// What this x86 CPU and its operating system support, read once per process.
//
// glibc has read CPUID at start-up and answers from what it keeps (<sys/platform/x86.h>, glibc 2.33): no
// CPUID of our own, which traps to the hypervisor in a virtual machine (3.8 µs a leaf on a Zen 5 VM, ~15 µs
// for the three leaves and XGETBV below). Elsewhere those, when first needed, instead of
// __builtin_cpu_supports: linking that runs compiler-rt's __cpu_indicator_init as a constructor of every
// process, about ten CPUID leaves.
#include "x86.h"

#if C1D_X86
#include <stdlib.h>  // defines __GLIBC__ on glibc
#if defined(__GLIBC__) && __has_include(<sys/platform/x86.h>)
#define C1D_GLIBC_CPU_FEATURES 1
#include <sys/platform/x86.h>
#else
#include <cpuid.h>
#endif

enum {
  FEATURES_READ = 1 << 0,
  FEATURE_AVX = 1 << 1,  // with the OS saving YMM state
  FEATURE_FMA = 1 << 2,
  FEATURE_F16C = 1 << 3,
  FEATURE_AVX2 = 1 << 4,
  FEATURE_AVX512F = 1 << 5,  // with the OS saving ZMM and mask state
  FEATURE_AVX512_VPCLMULQDQ = 1 << 6,  // AVX-512 F, BW and VL with VPCLMULQDQ and PCLMULQDQ
};

#if C1D_GLIBC_CPU_FEATURES
// "Active": the CPU has it and the OS saves the registers it needs (glibc's usable bits, as XGETBV below).
static int read_features(void) {
  int features = FEATURES_READ;
  if (CPU_FEATURE_ACTIVE(AVX)) features |= FEATURE_AVX;
  if ((features & FEATURE_AVX) && CPU_FEATURE_ACTIVE(FMA)) features |= FEATURE_FMA;
  if ((features & FEATURE_AVX) && CPU_FEATURE_ACTIVE(F16C)) features |= FEATURE_F16C;
  if ((features & FEATURE_AVX) && CPU_FEATURE_ACTIVE(AVX2)) features |= FEATURE_AVX2;
  if (CPU_FEATURE_ACTIVE(AVX512F)) features |= FEATURE_AVX512F;
  if ((features & FEATURE_AVX512F) && CPU_FEATURE_ACTIVE(AVX512BW) && CPU_FEATURE_ACTIVE(AVX512VL) &&
      CPU_FEATURE_ACTIVE(VPCLMULQDQ) && CPU_FEATURE_ACTIVE(PCLMULQDQ))
    features |= FEATURE_AVX512_VPCLMULQDQ;
  return features;
}
#else
static int read_features(void) {
  unsigned eax, ebx, ecx, edx;
  int features = FEATURES_READ;
  unsigned max_leaf = __get_cpuid_max(0, 0);
  if (max_leaf < 1) return features;
  __cpuid(1, eax, ebx, ecx, edx);
  const int osxsave = (ecx >> 27) & 1;
  const int pclmul = (ecx >> 1) & 1;
  unsigned xcr0 = 0, xcr0_high = 0;
  if (osxsave) __asm__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
  const int ymm_saved = (xcr0 & 0x6) == 0x6;
  const int zmm_saved = (xcr0 & 0xE6) == 0xE6;
  if (ymm_saved && ((ecx >> 28) & 1)) features |= FEATURE_AVX;
  if ((features & FEATURE_AVX) && ((ecx >> 12) & 1)) features |= FEATURE_FMA;
  if ((features & FEATURE_AVX) && ((ecx >> 29) & 1)) features |= FEATURE_F16C;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    if ((features & FEATURE_AVX) && ((ebx >> 5) & 1)) features |= FEATURE_AVX2;
    if (zmm_saved && ((ebx >> 16) & 1)) features |= FEATURE_AVX512F;
    // BW (ebx 30), VL (ebx 31), VPCLMULQDQ (ecx 10); PCLMULQDQ is leaf 1's ecx bit 1.
    if ((features & FEATURE_AVX512F) && ((ebx >> 30) & 1) && ((ebx >> 31) & 1) && ((ecx >> 10) & 1) && pclmul)
      features |= FEATURE_AVX512_VPCLMULQDQ;
  }
  return features;
}
#endif

static int features(void) {
  static int cached;  // 0 until read; every thread that races to read it stores the same value
  int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (!value) {
    value = read_features();
    __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
  }
  return value;
}

int c1d_x86_has_avx2_fma(void) { return (features() & (FEATURE_AVX2 | FEATURE_FMA)) == (FEATURE_AVX2 | FEATURE_FMA); }
int c1d_x86_has_avx512f(void) { return (features() & FEATURE_AVX512F) != 0; }
int c1d_x86_has_f16c(void) { return (features() & FEATURE_F16C) != 0; }
int c1d_x86_has_avx512_vpclmulqdq(void) { return (features() & FEATURE_AVX512_VPCLMULQDQ) != 0; }
#endif
