// Kernel 3, stride 2, by output triples (F(3, 2) on taps 0 and 2): the input transform and the combine.
#include "internal.h"

static inline void store(const float *v, long i, float *const *r) {
  r[0][i] = v[0] - v[4];
  r[1][i] = v[1];
  r[2][i] = v[2] + v[4];
  r[3][i] = v[4] - v[2];
  r[4][i] = v[3];
  r[5][i] = v[6] - v[2];
  r[6][i] = v[5];
}

void c1d_f32_stride2_triples_interior(const float *x, long from, long to, long left, long first,
                                      float *const *r) {
  for (long u = from; u < to; u++) store(x + 6 * u - left, u - first, r);
}

// Positions outside the row read the padding, or 0 beyond any output's reach.
void c1d_f32_stride2_triples_bordered(const float *x, long length, long left, int mode, float value, long reach_high,
                                      long from, long to, long first, float *const *r) {
  for (long u = from; u < to; u++) {
    float v[7];
    for (int j = 0; j < 7; j++) v[j] = pair_input_value(x, length, left, reach_high, 6 * u - left + j, mode, value);
    store(v, u - first, r);
  }
}

void c1d_f32_stride2_triples__scalar(const float *x, long length, long left, int mode, float value, long reach_high,
                                     long first, long triples, float *const *r) {
  long end = first + triples, from, to;
  interior_range(length, left, 6, 6, first, end, &from, &to);
  c1d_f32_stride2_triples_bordered(x, length, left, mode, value, reach_high, first, from, first, r);
  c1d_f32_stride2_triples_interior(x, from, to, left, first, r);
  c1d_f32_stride2_triples_bordered(x, length, left, mode, value, reach_high, to, end, first, r);
}

void c1d_f32_stride2_triples_combine_tail(const float *const *m, float *y, long count, long done) {
  const float *a = m[0], *s = m[1], *d = m[2], *o = m[3], *b = m[4];
  for (long j = done; 3 * j < count; j++) {
    float sum = s[j] + d[j];
    y[3 * j] = a[j] + sum;
    if (3 * j + 1 < count) y[3 * j + 1] = (s[j] - d[j]) + o[j];
    if (3 * j + 2 < count) y[3 * j + 2] = sum + b[j];
  }
}

void c1d_f32_stride2_triples_combine__scalar(const float *const *m, float *y, long count) {
  c1d_f32_stride2_triples_combine_tail(m, y, count, 0);
}
