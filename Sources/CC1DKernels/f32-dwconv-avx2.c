#include "x86.h"

#include <string.h>

#if C1D_X86
// Stride 1 holds its 32 outputs in registers over every tap; the plain C body (still used for other strides)
// sweeps the whole row once per tap, and rows of a few thousand samples fall out of L1 between sweeps.
__attribute__((target("avx2,fma"))) void c1d_f32_dwconv_interior__avx2(const float *x, const float *w, long k, long d,
                                                                        long s, float bias, float *y, long count) {
  if (s != 1) {
    c1d_f32_dwconv_interior__scalar(x, w, k, d, s, bias, y, count);
    return;
  }
  long t = 0;
  __m256 vb = _mm256_set1_ps(bias);
  // Four independent accumulators: the loads, not the FMA latency, bound this loop.
  for (; t + 32 <= count; t += 32) {
    __m256 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (long q = 0; q < k; q++) {
      __m256 wq = _mm256_broadcast_ss(w + q);
      const float *xq = x + t + q * d;
      a0 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq), a0);
      a1 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq + 8), a1);
      a2 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq + 16), a2);
      a3 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq + 24), a3);
    }
    _mm256_storeu_ps(y + t, a0);
    _mm256_storeu_ps(y + t + 8, a1);
    _mm256_storeu_ps(y + t + 16, a2);
    _mm256_storeu_ps(y + t + 24, a3);
  }
  for (; t < count; t += 8) {
    // Masked-off lanes are never read, so the last block cannot run past the end of the row.
    __m256i m = tail_mask256(count - t);
    __m256 a0 = vb;
    for (long q = 0; q < k; q++)
      a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + q), _mm256_maskload_ps(x + t + q * d, m), a0);
    _mm256_maskstore_ps(y + t, m, a0);
  }
}

// Outputs per copy of the edges' inputs, and the kernels that take that way: spans up to EDGE_MAX_SPAN
// (the copy is on the stack), and at least PADDED_EDGES_MIN_TAPS taps (below, the copy costs more than the
// masked edges' few short chains).
enum { EDGE_CHUNK = 256, EDGE_MAX_SPAN = 1024, PADDED_EDGES_MIN_TAPS = 4 };

// VECS·8 outputs from `x` (unmasked: x holds VECS·8 + span values) into y, one accumulator per vector.
__attribute__((target("avx2,fma"), always_inline)) static inline void
edge_block(const int VECS, const float *x, const float *w, long k, long d, float bias, float *y) {
  __m256 acc[4];
  for (int v = 0; v < VECS; v++) acc[v] = _mm256_set1_ps(bias);
  for (long q = 0; q < k; q++) {
    __m256 wq = _mm256_broadcast_ss(w + q);
#pragma clang loop unroll(full)
    for (int v = 0; v < VECS; v++) acc[v] = _mm256_fmadd_ps(wq, _mm256_loadu_ps(x + q * d + 8 * v), acc[v]);
  }
  for (int v = 0; v < VECS; v++) _mm256_storeu_ps(y + 8 * v, acc[v]);
}

// inputs[j] = position first + j of the row under its padding mode, for j < used; zeros up to `size` (lanes
// past the outputs read positions that may lie beyond the padding's reach).
static void fill_padded(float *inputs, long used, long size, const float *x, long length, long first, int mode,
                        float value) {
  long inside_from = first < 0 ? -first : 0, inside_to = length - first < used ? length - first : used;
  if (inside_from > used) inside_from = used;
  if (inside_to < inside_from) inside_to = inside_from;
  for (long j = 0; j < inside_from; j++) inputs[j] = border_value(x, length, first + j, mode, value);
  memcpy(inputs + inside_from, x + first + inside_from, (size_t)(inside_to - inside_from) * sizeof(float));
  for (long j = inside_to; j < used; j++) inputs[j] = border_value(x, length, first + j, mode, value);
  for (long j = used; j < size; j++) inputs[j] = 0.0f;
}

// Outputs [from, to) of a stride-1 row on copies of the inputs they read with the border written out (any
// padding mode), whole vectors loaded without masks, 32 outputs at a time in four accumulators: a masked
// load and blend per tap on one accumulator chain made QuartzNet's k33 edges (8% of its outputs) take 45%
// of its depthwise time on Zen 1.
__attribute__((target("avx2,fma"))) static void padded_edges(const float *x, long length, long left, int mode,
                                                             float value, const float *w, long k, long d, float bias,
                                                             float *y, long from, long to) {
  float inputs[EDGE_CHUNK + EDGE_MAX_SPAN], outputs[32];
  long span = (k - 1) * d;
  for (long t0 = from; t0 < to; t0 += EDGE_CHUNK) {
    long n = to - t0 < EDGE_CHUNK ? to - t0 : EDGE_CHUNK;
    fill_padded(inputs, n + span, (n + 7) / 8 * 8 + span, x, length, t0 - left, mode, value);
    long t = 0;
    for (; t + 32 <= n; t += 32) edge_block(4, inputs + t, w, k, d, bias, y + t0 + t);
    if (t == n) continue;
    switch ((n - t + 7) / 8) {
    case 1: edge_block(1, inputs + t, w, k, d, bias, outputs); break;
    case 2: edge_block(2, inputs + t, w, k, d, bias, outputs); break;
    case 3: edge_block(3, inputs + t, w, k, d, bias, outputs); break;
    default: edge_block(4, inputs + t, w, k, d, bias, outputs); break;
    }
    memcpy(y + t0 + t, outputs, (size_t)(n - t) * sizeof(float));
  }
}

// Outputs [from, to) of a stride-1 row with constant padding, 8 at a time: each tap is a masked load, its
// lanes outside the row blended to the padding value, so the edges (a k-wide kernel has k − 1 of them per
// row) run as vectors rather than through the scalar border lookup.
__attribute__((target("avx2,fma"))) static void edges(const float *x, long length, long left, float value,
                                                      const float *w, long k, long d, float bias, float *y, long from,
                                                      long to) {
  const __m256 padding = _mm256_set1_ps(value);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (long t = from; t < to; t += 8) {
    __m256 acc = _mm256_set1_ps(bias);
    for (long q = 0; q < k; q++) {
      long i0 = t - left + q * d;
      long first = i0 < 0 ? -i0 : 0;  // lanes [first, end) lie inside the row
      long end = length - i0 < 8 ? length - i0 : 8;
      __m256 xv = padding;
      if (first < end) {
        __m256i inside = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)first), lane),
                                             tail_mask256(end));
        // Masked-off lanes are never read: the addresses before or after the row are not touched.
        xv = _mm256_blendv_ps(padding, _mm256_maskload_ps(x + i0, inside), _mm256_castsi256_ps(inside));
      }
      acc = _mm256_fmadd_ps(_mm256_broadcast_ss(w + q), xv, acc);
    }
    _mm256_maskstore_ps(y + t, tail_mask256(to - t), acc);
  }
}

void c1d_f32_dwconv__avx2(const float *x, long length, long left, int mode, float value, const float *w,
                          long kernel_size, long dilation, long stride, float bias, float *y, long count) {
  long span = (kernel_size - 1) * dilation, low, high;
  interior_range(length, left, 1, span, 0, count, &low, &high);
  if (stride == 1 && kernel_size >= PADDED_EDGES_MIN_TAPS && span <= EDGE_MAX_SPAN) {
    // The interior in whole blocks of 32; its ragged end goes with the right edge.
    high = low + (high - low) / 32 * 32;
    padded_edges(x, length, left, mode, value, w, kernel_size, dilation, bias, y, 0, low);
    padded_edges(x, length, left, mode, value, w, kernel_size, dilation, bias, y, high, count);
  } else if (stride == 1 && mode == C1D_BORDER_CONSTANT) {
    edges(x, length, left, value, w, kernel_size, dilation, bias, y, 0, low);
    edges(x, length, left, value, w, kernel_size, dilation, bias, y, high, count);
  } else {
    c1d_f32_dwconv_row_with(c1d_f32_dwconv_interior__avx2, x, length, left, mode, value, w, kernel_size, dilation,
                            stride, bias, y, count);
    return;
  }
  if (high > low) c1d_f32_dwconv_interior__avx2(x + (low - left), w, kernel_size, dilation, 1, bias, y + low, high - low);
}
#endif
