// Kernel 3, stride 1, dilation d > 1, by output pairs (Winograd F(2, 3) on each of the d phases): the input
// transform and the combine, in plain C for every ISA. A dilated conv is d independent undilated ones, one
// per phase of the output; pairing outputs t and t + d keeps each pair inside one phase. Pairs come in
// blocks of d: pair u is block b = u / d, lane r = u % d, first output t = 2·d·b + r. Within a block the
// lanes read and write contiguous runs of up to d: 4 lanes at a time (the compiler's vector extension, so
// any ISA), the rest one by one, and the common dilations get bodies with d a constant (generic code over a
// run of 4 spent more on loop control than on the arithmetic: a fifth of a 256-channel layer's time).
#include "internal.h"

#include <string.h>

#define C1D_RESTRICT __restrict__

typedef float f32x4 __attribute__((vector_size(16)));

static inline f32x4 load4(const float *p) {
  f32x4 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void store4(float *p, f32x4 v) { memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) void transform(const float *C1D_RESTRICT x, long length, long left,
                                                            int mode, float value, long reach_high, const long d,
                                                            long first, long pairs, float *C1D_RESTRICT d0,
                                                            float *C1D_RESTRICT d1, float *C1D_RESTRICT d2,
                                                            float *C1D_RESTRICT d3) {
  const long end = first + pairs;
  for (long u = first; u < end;) {
    long lane = u % d;
    long run = d - lane < end - u ? d - lane : end - u;
    long start = 2 * d * (u / d) + lane - left;  // v0 of the run's first pair
    long o = u - first;
    if (start >= 0 && start + run - 1 + 3 * d < length) {
      const float *v = x + start;
      // Any run, 4 lanes at a time: the callers cut runs at column panels of 32 pairs, mid-block where d
      // does not divide 32.
      long q = 0;
      for (; q + 4 <= run; q += 4) {
        f32x4 v0 = load4(v + q), v1 = load4(v + q + d), v2 = load4(v + q + 2 * d), v3 = load4(v + q + 3 * d);
        store4(d0 + o + q, v0 - v2);
        store4(d1 + o + q, v1 + v2);
        store4(d2 + o + q, v2 - v1);
        store4(d3 + o + q, v1 - v3);
      }
      for (; q < run; q++) winograd23_store(v[q], v[q + d], v[q + 2 * d], v[q + 3 * d], o + q, d0, d1, d2, d3);
    } else {
      for (long q = 0; q < run; q++) {
        float v[4];
        for (int j = 0; j < 4; j++) {
          long i = start + q + j * d;
          v[j] = pair_input_value(x, length, left, reach_high, i, mode, value);
        }
        winograd23_store(v[0], v[1], v[2], v[3], o + q, d0, d1, d2, d3);
      }
    }
    u += run;
  }
}

void c1d_f32_winograd23_dilated_pairs(const float *x, long length, long left, int mode, float value,
                                      long reach_high, long dilation, long first, long pairs, float *d0, float *d1,
                                      float *d2, float *d3) {
#define C1D_DILATED_PAIRS(D) transform(x, length, left, mode, value, reach_high, D, first, pairs, d0, d1, d2, d3)
  switch (dilation) {
  case 2: C1D_DILATED_PAIRS(2); break;
  case 3: C1D_DILATED_PAIRS(3); break;
  case 4: C1D_DILATED_PAIRS(4); break;
  case 5: C1D_DILATED_PAIRS(5); break;
  case 8: C1D_DILATED_PAIRS(8); break;
  default: C1D_DILATED_PAIRS(dilation); break;
  }
#undef C1D_DILATED_PAIRS
}

static inline __attribute__((always_inline)) void combine(const float *C1D_RESTRICT m0, const float *C1D_RESTRICT m1,
                                                          const float *C1D_RESTRICT m2, const float *C1D_RESTRICT m3,
                                                          const long d, float *C1D_RESTRICT y, long count) {
  long block = 0;
  for (; 2 * d * (block + 1) <= count; block++) {
    float *out = y + 2 * d * block;
    const long p = block * d;
    if (d % 4 == 0) {
      for (long q = 0; q < d; q += 4) {
        f32x4 b = load4(m1 + p + q), c = load4(m2 + p + q);
        store4(out + q, load4(m0 + p + q) + b + c);
        store4(out + d + q, b - c - load4(m3 + p + q));
      }
    } else {
      for (long q = 0; q < d; q++) {
        out[q] = m0[p + q] + m1[p + q] + m2[p + q];
        out[d + q] = m1[p + q] - m2[p + q] - m3[p + q];
      }
    }
  }
  if (2 * d * block < count) {  // the last block, cut short
    float *out = y + 2 * d * block;
    long rest = count - 2 * d * block;
    const long p = block * d;
    for (long q = 0; q < (rest < d ? rest : d); q++) out[q] = m0[p + q] + m1[p + q] + m2[p + q];
    for (long q = 0; q < rest - d; q++) out[d + q] = m1[p + q] - m2[p + q] - m3[p + q];
  }
}

void c1d_f32_winograd23_dilated_combine(const float *m0, const float *m1, const float *m2, const float *m3,
                                        long dilation, float *y, long count) {
  switch (dilation) {
  case 2: combine(m0, m1, m2, m3, 2, y, count); break;
  case 3: combine(m0, m1, m2, m3, 3, y, count); break;
  case 4: combine(m0, m1, m2, m3, 4, y, count); break;
  case 5: combine(m0, m1, m2, m3, 5, y, count); break;
  case 8: combine(m0, m1, m2, m3, 8, y, count); break;
  default: combine(m0, m1, m2, m3, dilation, y, count); break;
  }
}
