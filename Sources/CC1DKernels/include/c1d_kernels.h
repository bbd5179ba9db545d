#ifndef C1D_KERNELS_H
#define C1D_KERNELS_H

// Numeric micro-kernels of c1d, one set per ISA, reached only through a kernel config (the way XNNPACK's
// gemm-config hands out its micro-kernels): c1d_kernel_config_best() once per process, or
// c1d_kernel_config_for() to pin one set (tests). Callers never branch on the ISA themselves.
//
// GEMM layouts: A is packed in panels of `mr` rows, element (i, p) at a[p * mr + i]; B is packed in panels
// of `nr` columns, element (p, j) at b[p * nr + j].

// Function pointers are never NULL in a config; the data pointers they take follow each comment.
#include <stddef.h>
#include <stdint.h>

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-completeness"

typedef enum {
  C1D_ISA_PORTABLE = 0,
  C1D_ISA_AVX2 = 1,
  C1D_ISA_AVX512 = 2,
  /// How many there are; every value below can be passed to c1d_kernel_config_for.
  C1D_ISA_COUNT = 3,
} c1d_isa;

/// Padding modes of the bordered kernels.
enum { C1D_BORDER_CONSTANT = 0, C1D_BORDER_REFLECT = 1, C1D_BORDER_REPLICATE = 2, C1D_BORDER_CIRCULAR = 3 };

/// Element-wise activations. `parameter` is the negative slope (leaky_relu) or alpha (elu).
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

typedef struct c1d_kernel_config {
  /// For messages and test names: "avx512f", "avx2", "scalar".
  const char *name;
  /// The GEMM micro-tile: rows of an A panel and columns of a B panel.
  long mr;
  long nr;
  /// `nr` zeros, for B rows that lie wholly in zero padding. Never written.
  const float *zeros;

  /// c[i * ldc + j] (+)= sum_p a[p*mr + i] * b[p*nr + j] for i < rows, j < cols.
  /// accumulate == 0 starts from bias[i] (or 0 when bias is NULL); otherwise adds to c.
  void (*_Nonnull gemm)(long kc, const float *a, const float *b, float *c, long ldc, long rows, long cols,
                        int accumulate, const float *bias);

  /// Like `gemm`, but row p of B is read from rows[p][offset ..< offset + cols] (an indirection table, as in
  /// XNNPACK's IGEMM, whose offset lets one table serve every column panel of a tile): no packing copy.
  /// Never reads past rows[p][offset + cols - 1].
  void (*_Nonnull gemm_indirect)(long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                                 long row_count, long cols, int accumulate, const float *bias);

  /// The packing function: gathers rows[p][offset ..< offset + cols] for p < kc into panel[p * nr ..], zero
  /// past cols: one column panel of B made contiguous, so that it stays in L1 while several A panels use it
  /// (rows of a long input lie a multiple of 4 KiB apart and would otherwise compete for the same L1 sets).
  void (*_Nonnull pack_rows)(long kc, const float *const *rows, long offset, long cols, float *panel);

  /// Undilated kernels of at least this many taps read B in place even where several A panels share it:
  /// the taps of one channel are shifted runs of the same row, so all but the first hit the lines it
  /// brought into L1, and packing would copy each input value once per tap. (ECG ResNet's k16 convs on
  /// Zen 1 (AVX2): 44.8 -> 36.2 ms at one thread.) LONG_MAX where only packing has been measured.
  long in_place_min_taps;

  /// Convs with at most this many A panels (output channels / mr) also read B in place, unless their input
  /// rows, or at large dilation their taps, lie within 256 bytes of a multiple of 4 KiB apart: packing a
  /// column panel costs as much as a few panels' extra L1 misses. (TCN, 25 channels k7 dilated, on Zen 1
  /// (AVX2): 7.88 -> 7.56 ms at one thread, 4.12 -> 3.88 at two; all convs in place made QuartzNet +22% and
  /// Conv-TasNet +24%, at 32 panels and more.) 0 where only packing has been measured.
  long in_place_max_panels;

  /// Packs a conv's weights into panels of `mr` rows at load: c1d_f32_pack_conv_weights (c1d_pack.h), its
  /// layout and zero rows, with 8 × 8 blocks transposed in vector registers where the ISA has them.
  void (*_Nonnull pack_conv_weights)(long groups, long group_out, long depth, long mr, const float *w,
                                     const float *_Nullable scale, float *packed);
  /// Packs a kernel-3, stride-2 conv's weights for its output pairs at load: c1d_f32_pack_stride2_weights
  /// (c1d_pack.h), with 8 × 8 blocks transposed in vector registers where the ISA has them.
  void (*_Nonnull pack_stride2_weights)(long out_channels, long in_channels, long mr, const float *w, float *p,
                                        float *w0, float *w1, float *w2);

  /// Splits a row into its phases for a stride: y[p * phase_length + j] = x[j * stride + p] for every
  /// j * stride + p < length (phase_length = ceil(length / stride)); y holds min(stride, length) phases.
  void (*_Nonnull split_phases)(const float *x, long length, long stride, long phase_length, float *y);
  /// The inverse for a transposed convolution's phases: y[r + v * stride] = phases[r][v] for every
  /// r + v * stride < length; a NULL phase writes `fill` (a phase without taps: the bias).
  void (*_Nonnull interleave_phases)(const float *const *phases, long stride, long length, float fill, float *y);

  /// One depthwise channel read from the unpadded row x[0 ..< length] in place:
  /// y[t] = bias + sum_k w[k] * xp[t * stride + k * dilation] for t < count, where position i of the padded
  /// row xp is x[i - left] inside the row and outside it what `mode` (C1D_BORDER_*) gives (`value` for
  /// constant padding). No padded copy is made, however large the padding.
  void (*_Nonnull depthwise_row)(const float *x, long length, long left, int mode, float value, const float *w,
                                 long kernel_size, long dilation, long stride, float bias, float *y, long count);

  /// The four input rows of a kernel-3, stride-1 conv computed by output pairs (Winograd's F(2, 3)): pair u
  /// reads v_j = x[2u - left + j], j = 0…3, and writes d0[u] = v0 − v2, d1[u] = v1 + v2, d2[u] = v2 − v1,
  /// d3[u] = v1 − v3. Positions outside the row read the padding (`mode`, `value`) when in
  /// [−left, reach_high], the positions any output reads, else 0. Writes pairs first ..< first + pairs,
  /// pair u at index u − first.
  void (*_Nonnull winograd23_pairs)(const float *x, long length, long left, int mode, float value, long reach_high,
                                    long first, long pairs, float *d0, float *d1, float *d2, float *d3);

  /// y[2j] = m0[j] + m1[j] + m2[j], y[2j + 1] = m1[j] − m2[j] − m3[j], for the first `count` elements of y.
  void (*_Nonnull winograd23_combine)(const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                                      long count);

  /// winograd23_pairs for a conv of dilation d > 1: pair u (block b = u / d, lane r = u % d) has its first
  /// output at t = 2·d·b + r and its second at t + d, and reads v_j = x[t - left + j·d], j = 0…3. Padding,
  /// `reach_high` and indexing as for winograd23_pairs.
  void (*_Nonnull winograd23_dilated_pairs)(const float *x, long length, long left, int mode, float value,
                                            long reach_high, long dilation, long first, long pairs, float *d0,
                                            float *d1, float *d2, float *d3);

  /// winograd23_combine for dilation d, pairs from the start of a block of d: for pair u as above,
  /// y[t] = m0[u] + m1[u] + m2[u] and y[t + d] = m1[u] − m2[u] − m3[u], for the first `count` elements of y.
  void (*_Nonnull winograd23_dilated_combine)(const float *m0, const float *m1, const float *m2, const float *m3,
                                              long dilation, float *y, long count);

  /// The five input rows of a kernel-3, stride-2 conv computed by output pairs (Winograd's F(2, 2) on the
  /// taps 0 and 2): pair u reads v_j = x[4u - left + j], j = 0…4, and writes d1[u] = v0 − v2, e[u] = v1,
  /// d2[u] = v2, d3[u] = v4 − v2, f[u] = v3. Padding, `reach_high` and indexing as for winograd23_pairs.
  void (*_Nonnull stride2_pairs)(const float *x, long length, long left, int mode, float value, long reach_high,
                                 long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f);

  /// y[2j] = p[j] + q[j], y[2j + 1] = p[j] + r[j], for the first `count` elements of y.
  void (*_Nonnull stride2_combine)(const float *p, const float *q, const float *r, float *y, long count);

  /// The seven input rows of a kernel-3, stride-2 conv computed by output triples (Winograd's F(3, 2) on the
  /// taps 0 and 2): triple u reads v_j = x[6u - left + j], j = 0…6, and writes r[0][u] = v0 − v4, r[1][u] = v1,
  /// r[2][u] = v2 + v4, r[3][u] = v4 − v2, r[4][u] = v3, r[5][u] = v6 − v2, r[6][u] = v5. Padding,
  /// `reach_high` and indexing as for winograd23_pairs. Every set has it (a plan made with one set can run on
  /// another); `stride2_by_triples` says whether the planner should use it.
  void (*_Nonnull stride2_triples)(const float *x, long length, long left, int mode, float value, long reach_high,
                                    long first, long triples, float *const *r);

  /// With m = (a, s, d, o, b): y[3j] = a[j] + (s[j] + d[j]), y[3j + 1] = (s[j] − d[j]) + o[j] and
  /// y[3j + 2] = (s[j] + d[j]) + b[j], for the first `count` elements of y.
  void (*_Nonnull stride2_triples_combine)(const float *const *m, float *y, long count);

  /// Nonzero where kernel-3, stride-2 convs run faster by triples than by pairs: where the set has vector
  /// triples kernels (AVX2 runs the portable ones, and plans pairs).
  int stride2_by_triples;

  /// y[t] = the greatest of x[t·stride − padding + k·dilation], k < kernel, over the positions inside the
  /// row (PyTorch's max_pool1d: padding never wins, NaN propagates), for t < count.
  void (*_Nonnull max_pool_row)(const float *x, long length, long kernel, long stride, long dilation, long padding,
                                float *y, long count);

  /// An activation (C1D_ACT_*) in place.
  void (*_Nonnull activation)(int kind, float *data, long count, float parameter);

  /// A gated activation: y[i] = f(value[i]) * g(gate[i]) for i < count, f and g C1D_ACT_* kernels with their
  /// parameters (WaveNet: tanh and sigmoid). y may alias value.
  void (*_Nonnull gate)(int value_kind, float value_parameter, const float *value, int gate_kind,
                        float gate_parameter, const float *gate, float *y, long count);

  /// y[i] = y[i] * other[i] (product != 0) or y[i] + other[i], for i < count.
  void (*_Nonnull binary)(int product, float *y, const float *other, long count);

  /// Mean and (biased) variance of x[0 ..< n], two-pass, blocks of float lanes summed in double.
  void (*_Nonnull moments)(const float *x, long n, double *mean, double *variance);
} c1d_kernel_config;

/// The kernels for `isa`, or NULL when this CPU (or this build's architecture) cannot run them.
const c1d_kernel_config *c1d_kernel_config_for(c1d_isa isa);

/// The fastest kernels this CPU runs; never NULL (the portable set runs everywhere).
const c1d_kernel_config *c1d_kernel_config_best(void);

/// Process-wide: keep freed memory in the heap (glibc), so repeated large allocations reuse pages
/// instead of mapping and zeroing fresh ones. Returns 1 if applied. For executables, not libraries.
int c1d_retain_freed_memory(void);

/// Process-wide, after c1d_retain_freed_memory: asks for transparent huge pages on the next `bytes` of heap
/// (Linux, glibc), so that a first run faults its activations in 2 MiB at a time. Returns 1 if applied.
int c1d_heap_prefer_huge_pages(size_t bytes);

/// Asks the cache to start loading `bytes` from `start` (a hint: no effect on values, no fault on any address).
static inline void c1d_prefetch(const void *start, long bytes) {
  // From the line holding the first byte, so that an unaligned run's last line is asked for too.
  const char *end = (const char *)start + bytes;
  for (const char *line = (const char *)((uintptr_t)start & ~(uintptr_t)63); line < end; line += 64) {
    __builtin_prefetch(line);
  }
}

/// The core the calling thread runs on (Linux), or -1.
int c1d_current_core(void);

/// Moves the calling thread off `core` now, then allows it every core it had again (Linux): a thread
/// started on its creator's core otherwise waits there for the load balancer while another core idles.
/// Returns the core it ran on while `core` was excluded, or -1 when `core` is the only one allowed, not a
/// core, or the OS has no such call.
int c1d_move_off_core(int core);

#pragma clang diagnostic pop

#endif
