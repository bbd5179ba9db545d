// Kernel 3, stride 2, by output pairs (F(2, 2) on taps 0 and 2): the input transform and the combine.
#include "internal.h"

static inline void store(const float *v, long i, float *d1, float *e, float *d2, float *d3, float *f) {
  d1[i] = v[0] - v[2];
  e[i] = v[1];
  d2[i] = v[2];
  d3[i] = v[4] - v[2];
  f[i] = v[3];
}

void c1d_f32_stride2_pairs_interior(const float *x, long from, long to, long left, long first, float *d1, float *e,
                                    float *d2, float *d3, float *f) {
  for (long u = from; u < to; u++) store(x + 4 * u - left, u - first, d1, e, d2, d3, f);
}

// Positions outside the row read the padding, or 0 beyond any output's reach.
void c1d_f32_stride2_pairs_bordered(const float *x, long length, long left, int mode, float value, long reach_high,
                                    long from, long to, long first, float *d1, float *e, float *d2, float *d3,
                                    float *f) {
  for (long u = from; u < to; u++) {
    float v[5];
    for (int j = 0; j < 5; j++) {
      long i = 4 * u - left + j;
      v[j] = pair_input_value(x, length, left, reach_high, i, mode, value);
    }
    store(v, u - first, d1, e, d2, d3, f);
  }
}

void c1d_f32_stride2_pairs__scalar(const float *x, long length, long left, int mode, float value, long reach_high,
                                   long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f) {
  long end = first + pairs, from, to;
  interior_range(length, left, 4, 4, first, end, &from, &to);
  c1d_f32_stride2_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d1, e, d2, d3, f);
  c1d_f32_stride2_pairs_interior(x, from, to, left, first, d1, e, d2, d3, f);
  c1d_f32_stride2_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d1, e, d2, d3, f);
}

void c1d_f32_stride2_combine_tail(const float *p, const float *q, const float *r, float *y, long count, long done) {
  for (long j = done; 2 * j < count; j++) {
    y[2 * j] = p[j] + q[j];
    if (2 * j + 1 < count) y[2 * j + 1] = p[j] + r[j];
  }
}

void c1d_f32_stride2_combine__scalar(const float *p, const float *q, const float *r, float *y, long count) {
  c1d_f32_stride2_combine_tail(p, q, r, y, count, 0);
}
