// Kernel 3, stride 1, by output pairs (Winograd F(2, 3)): the input transform and the combine.
#include "internal.h"

void c1d_f32_winograd23_pairs_interior(const float *x, long from, long to, long left, long first, float *d0,
                                       float *d1, float *d2, float *d3) {
  for (long u = from; u < to; u++) {
    const float *v = x + 2 * u - left;
    winograd23_store(v[0], v[1], v[2], v[3], u - first, d0, d1, d2, d3);
  }
}

// Positions outside the row read the padding, or 0 beyond any output's reach.
void c1d_f32_winograd23_pairs_bordered(const float *x, long length, long left, int mode, float value,
                                       long reach_high, long from, long to, long first, float *d0, float *d1,
                                       float *d2, float *d3) {
  for (long u = from; u < to; u++) {
    float v[4];
    for (int j = 0; j < 4; j++) {
      long i = 2 * u - left + j;
      v[j] = pair_input_value(x, length, left, reach_high, i, mode, value);
    }
    winograd23_store(v[0], v[1], v[2], v[3], u - first, d0, d1, d2, d3);
  }
}

void c1d_f32_winograd23_pairs__scalar(const float *x, long length, long left, int mode, float value, long reach_high,
                                      long first, long pairs, float *d0, float *d1, float *d2, float *d3) {
  long end = first + pairs, from, to;
  interior_range(length, left, 2, 3, first, end, &from, &to);
  c1d_f32_winograd23_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d0, d1, d2, d3);
  c1d_f32_winograd23_pairs_interior(x, from, to, left, first, d0, d1, d2, d3);
  c1d_f32_winograd23_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d0, d1, d2, d3);
}

void c1d_f32_winograd23_combine_tail(const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                                     long count, long done) {
  for (long j = done; 2 * j < count; j++) {
    y[2 * j] = m0[j] + m1[j] + m2[j];
    if (2 * j + 1 < count) y[2 * j + 1] = m1[j] - m2[j] - m3[j];
  }
}

void c1d_f32_winograd23_combine__scalar(const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                                        long count) {
  c1d_f32_winograd23_combine_tail(m0, m1, m2, m3, y, count, 0);
}
