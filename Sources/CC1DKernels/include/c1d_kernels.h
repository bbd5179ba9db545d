#ifndef C1D_KERNELS_H
#define C1D_KERNELS_H

// Numeric micro-kernels of c1d. Each exists per ISA; the caller picks one with c1d_detect_isa().
// Layouts: A is packed in panels of C1D_GEMM_MR rows, element (i, p) at a[p * MR + i];
// B is packed in panels of C1D_GEMM_NR columns, element (p, j) at b[p * NR + j].

#define C1D_GEMM_MR 8
#define C1D_GEMM_NR 32

typedef enum {
  C1D_ISA_PORTABLE = 0,
  C1D_ISA_AVX2 = 1,
  C1D_ISA_AVX512 = 2,
} c1d_isa;

/// The best ISA this CPU supports.
c1d_isa c1d_detect_isa(void);

/// c[i * ldc + j] (+)= sum_p a[p*MR + i] * b[p*NR + j] for i < rows, j < cols.
/// accumulate == 0 starts from bias[i] (or 0 when bias is NULL); otherwise adds to c.
void c1d_gemm_tile(c1d_isa isa, long kc, const float *a, const float *b, float *c, long ldc, long rows,
                   long cols, int accumulate, const float *bias);

/// Like c1d_gemm_tile, but row p of B is read from rows[p][offset ..< offset + cols] (an indirection
/// table, as in XNNPACK's IGEMM, whose offset lets one table serve every column panel of a tile): no
/// packing copy. Never reads past rows[p][offset + cols - 1].
void c1d_gemm_tile_indirect(c1d_isa isa, long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                            long row_count, long cols, int accumulate, const float *bias);

/// Gathers rows[p][offset ..< offset + cols] for p < kc into panel[p * NR ..], zero past cols: one column panel of
/// B made contiguous, so that it stays in L1 while several A panels use it (rows of a long input lie
/// a multiple of 4 KiB apart and would otherwise compete for the same L1 sets).
void c1d_pack_rows(c1d_isa isa, long kc, const float *const *rows, long offset, long cols, float *panel);

/// Splits a row into its phases for a stride: y[p * phase_length + j] = x[j * stride + p] for every
/// j * stride + p < length (phase_length = ceil(length / stride)); y holds min(stride, length) phases.
void c1d_split_phases(c1d_isa isa, const float *x, long length, long stride, long phase_length, float *y);

/// The inverse for a transposed convolution's phases: y[r + v * stride] = phases[r][v] for every
/// r + v * stride < length; a NULL phase writes `fill` (a phase without taps: the bias).
void c1d_interleave_phases(c1d_isa isa, const float *const *phases, long stride, long length, float fill, float *y);

/// The five input rows of a kernel-3, stride-2 conv computed by output pairs (Winograd's F(2, 2) on the
/// taps 0 and 2): pair u reads v_j = x[4u - left + j], j = 0…4, and writes d1[u] = v0 − v2, e[u] = v1,
/// d2[u] = v2, d3[u] = v4 − v2, f[u] = v3, for u < pairs. Positions outside the row read the padding
/// (`mode`, `value`: C1D_BORDER_*) when in [−left, reach_high], the positions any output reads, else 0.
/// Writes pairs first ..< first + pairs, pair u at index u − first.
void c1d_stride2_pairs(c1d_isa isa, const float *x, long length, long left, int mode, float value, long reach_high,
                       long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f);

/// y[2j] = p[j] + q[j], y[2j + 1] = p[j] + r[j], for the first `count` elements of y.
void c1d_pairs_combine(c1d_isa isa, const float *p, const float *q, const float *r, float *y, long count);

/// The four input rows of a kernel-3, stride-1 conv computed by output pairs (Winograd's F(2, 3)): pair u
/// reads v_j = x[2u - left + j], j = 0…3, and writes d0[u] = v0 − v2, d1[u] = v1 + v2, d2[u] = v2 − v1,
/// d3[u] = v1 − v3. Padding, `reach_high` and indexing as for c1d_stride2_pairs.
void c1d_winograd23_pairs(c1d_isa isa, const float *x, long length, long left, int mode, float value, long reach_high,
                          long first, long pairs, float *d0, float *d1, float *d2, float *d3);

/// y[2j] = m0[j] + m1[j] + m2[j], y[2j + 1] = m1[j] − m2[j] − m3[j], for the first `count` elements of y.
void c1d_winograd23_combine(c1d_isa isa, const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                            long count);

/// y[t] = bias + sum_k w[k] * x[t * stride + k * dilation] for t < count (one depthwise channel;
/// x is already padded).
void c1d_depthwise_row(c1d_isa isa, const float *x, const float *w, long kernel_size, long dilation,
                       long stride, float bias, float *y, long count);

/// Padding modes of c1d_depthwise_row_bordered.
enum { C1D_BORDER_CONSTANT = 0, C1D_BORDER_REFLECT = 1, C1D_BORDER_REPLICATE = 2, C1D_BORDER_CIRCULAR = 3 };

/// The same reading the unpadded row x[0 ..< length] in place: position i of the padded row is
/// x[i - left] inside the row, and outside it what `mode` gives (`value` for constant padding). No
/// padded copy is made, however large the padding.
void c1d_depthwise_row_bordered(c1d_isa isa, const float *x, long length, long left, int mode, float value,
                                const float *w, long kernel_size, long dilation, long stride, float bias, float *y,
                                long count);

/// y[t] = the greatest of x[t·stride − padding + k·dilation], k < kernel, over the positions inside the row
/// (PyTorch's max_pool1d: padding never wins, NaN propagates), for t < count.
void c1d_max_pool_row(c1d_isa isa, const float *x, long length, long kernel, long stride, long dilation, long padding,
                      float *y, long count);

/// Element-wise activations, in place. `parameter` is the negative slope (leaky_relu) or alpha (elu).
enum {
  C1D_ACT_RELU = 0,
  C1D_ACT_LEAKY_RELU = 1,
  C1D_ACT_ELU = 2,
  C1D_ACT_GELU_ERF = 3,
  C1D_ACT_GELU_TANH = 4,
  C1D_ACT_SILU = 5,
  C1D_ACT_SIGMOID = 6,
  C1D_ACT_TANH = 7,
  C1D_ACT_IDENTITY = 8,
};
void c1d_activation(c1d_isa isa, int kind, float *data, long count, float parameter);

/// A gated activation: y[i] = f(value[i]) * g(gate[i]) for i < count, f and g `C1D_ACT_*` kernels with
/// their parameters (WaveNet: tanh and sigmoid). y may alias value.
void c1d_gate(c1d_isa isa, int value_kind, float value_parameter, const float *value, int gate_kind,
              float gate_parameter, const float *gate, float *y, long count);

/// y[i] = y[i] * other[i] (product != 0) or y[i] + other[i], for i < count.
void c1d_binary(c1d_isa isa, int product, float *y, const float *other, long count);

/// Mean and (biased) variance of x[0 ..< n], two-pass, blocks of float lanes summed in double.
void c1d_moments(c1d_isa isa, const float *x, long n, double *mean, double *variance);

/// Process-wide: keep freed memory in the heap (glibc), so repeated large allocations reuse pages
/// instead of mapping and zeroing fresh ones. Returns 1 if applied. For executables, not libraries.
int c1d_retain_freed_memory(void);

#endif
