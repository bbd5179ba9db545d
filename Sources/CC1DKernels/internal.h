// Helpers shared by the kernel files, and every micro-kernel the configs (config.c) hand out; not part of
// the module's interface (outside include/). Micro-kernels are named XNNPACK's way:
// c1d_f32_<family>[_<tile>]__<isa>.
#ifndef C1D_INTERNAL_H
#define C1D_INTERNAL_H

#include "c1d_kernels.h"

// The CPU's features (x86-cpu.c), read on first use; x86-64 only.
int c1d_x86_has_avx2_fma(void);
int c1d_x86_has_avx512f(void);
int c1d_x86_has_f16c(void);
int c1d_x86_has_avx512_vpclmulqdq(void);

// Outputs [*from, *to) within [first, end) whose reads t·stride − left + j, j <= span, all lie in a row of
// `length`: the interior a kernel runs without border checks. Clamped so that first <= *from <= *to <= end
// (a range may lie wholly before or after the interior).
static inline void interior_range(long length, long left, long stride, long span, long first, long end, long *from,
                                  long *to) {
  long low = (left + stride - 1) / stride;
  long last = length - 1 - span + left;
  long high = last >= 0 ? last / stride + 1 : 0;
  *from = low < first ? first : low > end ? end : low;
  *to = high > end ? end : high < *from ? *from : high;
}

// The value at index i of a row of length n under a padding mode (C1D_BORDER_*), for every index the
// validated padding can reach (reflect: pad < n; circular: pad <= n).
static inline float border_value(const float *x, long n, long i, int mode, float value) {
  if (i >= 0 && i < n) return x[i];
  switch (mode) {
  case C1D_BORDER_REFLECT: return x[i < 0 ? -i : 2 * (n - 1) - i];
  case C1D_BORDER_REPLICATE: return x[i < 0 ? 0 : n - 1];
  case C1D_BORDER_CIRCULAR: return x[i < 0 ? i + n : i - n];
  default: return value;
  }
}

// An output-pair transform's read at index i: the row, or its padding for positions some output reads
// ([−left, reach_high]), else 0 (pairs past the last output read there and are never combined).
static inline float pair_input_value(const float *x, long length, long left, long reach_high, long i, int mode,
                                     float value) {
  return (i >= 0 && i < length) || (i >= -left && i <= reach_high) ? border_value(x, length, i, mode, value) : 0.0f;
}

// Winograd F(2, 3)'s input transform of one pair's reads v0…v3, stored at index i of its four rows.
static inline void winograd23_store(float v0, float v1, float v2, float v3, long i, float *d0, float *d1, float *d2,
                                    float *d3) {
  d0[i] = v0 - v2;
  d1[i] = v1 + v2;
  d2[i] = v2 - v1;
  d3[i] = v1 - v3;
}

// ---- GEMM, 8×32 tile (f32-gemm-8x32-*.c) ----------------------------------------------------------------
enum { C1D_GEMM_8X32_MR = 8, C1D_GEMM_8X32_NR = 32 };
typedef void (*c1d_gemm_fn)(long kc, const float *a, const float *b, float *c, long ldc, long rows, long cols,
                            int accumulate, const float *bias);
void c1d_f32_gemm_8x32__scalar(long kc, const float *a, const float *b, float *c, long ldc, long rows, long cols,
                               int accumulate, const float *bias);
void c1d_f32_gemm_8x32__avx2(long kc, const float *a, const float *b, float *c, long ldc, long rows, long cols,
                             int accumulate, const float *bias);
void c1d_f32_gemm_8x32__avx512f(long kc, const float *a, const float *b, float *c, long ldc, long rows, long cols,
                                int accumulate, const float *bias);
void c1d_f32_igemm_8x32__scalar(long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                                long row_count, long cols, int accumulate, const float *bias);
void c1d_f32_igemm_8x32__avx2(long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                              long row_count, long cols, int accumulate, const float *bias);
void c1d_f32_igemm_8x32__avx512f(long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                                 long row_count, long cols, int accumulate, const float *bias);
/// The indirect GEMM of ISAs without a direct one: rows gathered into packed panels, in blocks that fit on
/// the stack, then `gemm`.
void c1d_f32_igemm_8x32_by_packing(c1d_gemm_fn gemm, long kc, const float *a, const float *const *rows, long offset,
                                   float *c, long ldc, long row_count, long cols, int accumulate, const float *bias);
void c1d_f32_pack_rows_x32__scalar(long kc, const float *const *rows, long offset, long cols, float *panel);
void c1d_f32_pack_rows_x32__avx2(long kc, const float *const *rows, long offset, long cols, float *panel);
void c1d_f32_pack_rows_x32__avx512f(long kc, const float *const *rows, long offset, long cols, float *panel);

// ---- conv weights into GEMM panels at load (f32-pack-conv-weights*.c) -----------------------------------
void c1d_f32_pack_conv_weights__avx(long groups, long group_out, long depth, long mr, const float *w, const float *scale,
                                    float *packed);
void c1d_f32_pack_stride2_weights__avx2(long out_channels, long in_channels, long mr, const float *w, float *p,
                                        float *w0, float *w1, float *w2);

// ---- transposed-conv phase interleave (f32-interleave-*.c) -----------------------------------------------
void c1d_f32_interleave__scalar(const float *const *phases, long stride, long length, float fill, float *y);
void c1d_f32_interleave__avx2(const float *const *phases, long stride, long length, float fill, float *y);
void c1d_f32_interleave__avx512f(const float *const *phases, long stride, long length, float fill, float *y);
/// Frames [done, length / stride) and the partial last frame, scalar.
void c1d_f32_interleave_tail(const float *const *phases, long stride, long length, float fill, float *y, long done);

// ---- strided-conv phase split (f32-phases-*.c) ------------------------------------------------------------
void c1d_f32_phases__scalar(const float *x, long length, long stride, long phase_length, float *y);
void c1d_f32_phases__avx2(const float *x, long length, long stride, long phase_length, float *y);
void c1d_f32_phases__avx512f(const float *x, long length, long stride, long phase_length, float *y);
/// Elements from index `done` (a multiple of the stride) on.
void c1d_f32_phases_tail(const float *x, long length, long stride, long phase_length, float *y, long done);

// ---- depthwise (f32-dwconv-*.c) -------------------------------------------------------------------------
typedef void (*c1d_dwconv_interior_fn)(const float *x, const float *w, long k, long d, long s, float bias, float *y,
                                       long count);
/// Outputs whose taps all lie in the (unpadded) row: y[t] = bias + sum_k w[k] x[t s + k d], t < count.
void c1d_f32_dwconv_interior__scalar(const float *x, const float *w, long k, long d, long s, float bias, float *y,
                                     long count);
void c1d_f32_dwconv_interior__avx2(const float *x, const float *w, long k, long d, long s, float bias, float *y,
                                   long count);
void c1d_f32_dwconv_interior__avx512f(const float *x, const float *w, long k, long d, long s, float bias, float *y,
                                      long count);
/// A whole row: border outputs one at a time, the interior by `interior`.
void c1d_f32_dwconv_row_with(c1d_dwconv_interior_fn interior, const float *x, long length, long left, int mode,
                             float value, const float *w, long kernel_size, long dilation, long stride, float bias,
                             float *y, long count);
void c1d_f32_dwconv__scalar(const float *x, long length, long left, int mode, float value, const float *w,
                            long kernel_size, long dilation, long stride, float bias, float *y, long count);
void c1d_f32_dwconv__avx2(const float *x, long length, long left, int mode, float value, const float *w,
                          long kernel_size, long dilation, long stride, float bias, float *y, long count);
void c1d_f32_dwconv__avx512f(const float *x, long length, long left, int mode, float value, const float *w,
                             long kernel_size, long dilation, long stride, float bias, float *y, long count);

// ---- kernel 3 by output pairs: Winograd F(2, 3) (f32-winograd23-*.c), stride 2 (f32-pairs-stride2-*.c) ----
void c1d_f32_winograd23_pairs__scalar(const float *x, long length, long left, int mode, float value, long reach_high,
                                      long first, long pairs, float *d0, float *d1, float *d2, float *d3);
void c1d_f32_winograd23_pairs__avx2(const float *x, long length, long left, int mode, float value, long reach_high,
                                    long first, long pairs, float *d0, float *d1, float *d2, float *d3);
void c1d_f32_winograd23_pairs__avx512f(const float *x, long length, long left, int mode, float value, long reach_high,
                                       long first, long pairs, float *d0, float *d1, float *d2, float *d3);
/// Pairs [from, to) whose four positions all lie in the row.
void c1d_f32_winograd23_pairs_interior(const float *x, long from, long to, long left, long first, float *d0,
                                       float *d1, float *d2, float *d3);
/// Pairs [from, to) near the edges.
void c1d_f32_winograd23_pairs_bordered(const float *x, long length, long left, int mode, float value,
                                       long reach_high, long from, long to, long first, float *d0, float *d1,
                                       float *d2, float *d3);
void c1d_f32_winograd23_combine__scalar(const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                                        long count);
void c1d_f32_winograd23_combine__avx2(const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                                      long count);
void c1d_f32_winograd23_combine__avx512f(const float *m0, const float *m1, const float *m2, const float *m3,
                                         float *y, long count);
/// Pairs j from `done` on.
void c1d_f32_winograd23_combine_tail(const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                                     long count, long done);
// Dilation d > 1, one plain C body for every ISA (f32-winograd23-dilated.c).
void c1d_f32_winograd23_dilated_pairs(const float *x, long length, long left, int mode, float value,
                                      long reach_high, long dilation, long first, long pairs, float *d0, float *d1,
                                      float *d2, float *d3);
void c1d_f32_winograd23_dilated_combine(const float *m0, const float *m1, const float *m2, const float *m3,
                                        long dilation, float *y, long count);

void c1d_f32_stride2_pairs__scalar(const float *x, long length, long left, int mode, float value, long reach_high,
                                   long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f);
void c1d_f32_stride2_pairs__avx2(const float *x, long length, long left, int mode, float value, long reach_high,
                                 long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f);
void c1d_f32_stride2_pairs__avx512f(const float *x, long length, long left, int mode, float value, long reach_high,
                                    long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f);
/// Pairs [from, to) whose five positions all lie in the row.
void c1d_f32_stride2_pairs_interior(const float *x, long from, long to, long left, long first, float *d1, float *e,
                                    float *d2, float *d3, float *f);
/// Pairs [from, to) near the edges.
void c1d_f32_stride2_pairs_bordered(const float *x, long length, long left, int mode, float value, long reach_high,
                                    long from, long to, long first, float *d1, float *e, float *d2, float *d3,
                                    float *f);
void c1d_f32_stride2_combine__scalar(const float *p, const float *q, const float *r, float *y, long count);
void c1d_f32_stride2_combine__avx2(const float *p, const float *q, const float *r, float *y, long count);
void c1d_f32_stride2_combine__avx512f(const float *p, const float *q, const float *r, float *y, long count);
/// Pairs j from `done` on.
void c1d_f32_stride2_combine_tail(const float *p, const float *q, const float *r, float *y, long count, long done);

void c1d_f32_stride2_triples__scalar(const float *x, long length, long left, int mode, float value, long reach_high,
                                     long first, long triples, float *const *r);
void c1d_f32_stride2_triples__avx512f(const float *x, long length, long left, int mode, float value, long reach_high,
                                      long first, long triples, float *const *r);
/// Triples [from, to) whose seven positions all lie in the row.
void c1d_f32_stride2_triples_interior(const float *x, long from, long to, long left, long first, float *const *r);
/// Triples [from, to) near the edges.
void c1d_f32_stride2_triples_bordered(const float *x, long length, long left, int mode, float value, long reach_high,
                                      long from, long to, long first, float *const *r);
void c1d_f32_stride2_triples_combine__scalar(const float *const *m, float *y, long count);
void c1d_f32_stride2_triples_combine__avx512f(const float *const *m, float *y, long count);
/// Triples j from `done` on.
void c1d_f32_stride2_triples_combine_tail(const float *const *m, float *y, long count, long done);

// ---- pooling (f32-maxpool-*.c) --------------------------------------------------------------------------
void c1d_f32_maxpool__scalar(const float *x, long length, long kernel, long stride, long dilation, long padding,
                             float *y, long count);
void c1d_f32_maxpool__avx2(const float *x, long length, long kernel, long stride, long dilation, long padding,
                           float *y, long count);
void c1d_f32_maxpool__avx512f(const float *x, long length, long kernel, long stride, long dilation, long padding,
                              float *y, long count);
/// Output t of a max pool whose window starts at `start`, taps in the padding skipped.
float c1d_f32_maxpool_window(const float *x, long length, long start, long kernel, long dilation);

// ---- element-wise (f32-vact-*.c, f32-vbinary-*.c) and reductions (f32-moments-*.c) ----------------------
void c1d_f32_vact__scalar(int kind, float *data, long count, float parameter);
void c1d_f32_vact__avx2(int kind, float *data, long count, float parameter);
void c1d_f32_vact__avx512f(int kind, float *data, long count, float parameter);
void c1d_f32_vgate__scalar(int value_kind, float value_parameter, const float *value, int gate_kind,
                           float gate_parameter, const float *gate, float *y, long count);
void c1d_f32_vgate__avx2(int value_kind, float value_parameter, const float *value, int gate_kind,
                         float gate_parameter, const float *gate, float *y, long count);
void c1d_f32_vgate__avx512f(int value_kind, float value_parameter, const float *value, int gate_kind,
                            float gate_parameter, const float *gate, float *y, long count);
void c1d_f32_vbinary__scalar(int product, float *y, const float *other, long count);
void c1d_f32_vbinary__avx2(int product, float *y, const float *other, long count);
void c1d_f32_vbinary__avx512f(int product, float *y, const float *other, long count);
void c1d_f32_moments__scalar(const float *x, long n, double *mean, double *variance);
void c1d_f32_moments__avx2(const float *x, long n, double *mean, double *variance);
void c1d_f32_moments__avx512f(const float *x, long n, double *mean, double *variance);

#endif
