#include "c1d_kernels.h"
#include "internal.h"

enum { MR = C1D_GEMM_MR, NR = C1D_GEMM_NR };

c1d_isa c1d_detect_isa(void) {
#if C1D_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return C1D_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return C1D_ISA_AVX2;
#endif
  return C1D_ISA_PORTABLE;
}

// ---- portable (and, compiled again with wider targets, AVX2) ----------------------------------

#define C1D_GEMM_TILE_GENERIC(NAME, ATTR)                                                           \
  ATTR static void NAME(long kc, const float *a, const float *b, float *c, long ldc, long rows,      \
                        long cols, int accumulate, const float *bias) {                            \
    float acc[MR][NR];                                                                              \
    for (int i = 0; i < MR; i++) {                                                                  \
      float init = (!accumulate && bias && i < rows) ? bias[i] : 0.0f;                              \
      for (int j = 0; j < NR; j++) acc[i][j] = init;                                                \
    }                                                                                               \
    for (long p = 0; p < kc; p++) {                                                                 \
      const float *bp = b + p * NR;                                                                 \
      for (int i = 0; i < MR; i++) {                                                                \
        float av = a[p * MR + i];                                                                   \
        for (int j = 0; j < NR; j++) acc[i][j] += av * bp[j];                                       \
      }                                                                                             \
    }                                                                                               \
    for (long i = 0; i < rows; i++) {                                                               \
      float *ci = c + i * ldc;                                                                      \
      if (accumulate)                                                                               \
        for (long j = 0; j < cols; j++) ci[j] += acc[i][j];                                         \
      else                                                                                          \
        for (long j = 0; j < cols; j++) ci[j] = acc[i][j];                                          \
    }                                                                                               \
  }

#define C1D_DEPTHWISE_GENERIC(NAME, ATTR)                                                           \
  ATTR static void NAME(const float *x, const float *w, long k, long d, long s, float bias, float *y,\
                        long count) {                                                               \
    if (s == 1) {                                                                                   \
      for (long t = 0; t < count; t++) y[t] = bias;                                                 \
      for (long q = 0; q < k; q++) {                                                                \
        const float *xq = x + q * d;                                                                \
        float wq = w[q];                                                                            \
        for (long t = 0; t < count; t++) y[t] += wq * xq[t];                                        \
      }                                                                                             \
    } else {                                                                                        \
      for (long t = 0; t < count; t++) {                                                            \
        float sum = bias;                                                                           \
        for (long q = 0; q < k; q++) sum += w[q] * x[t * s + q * d];                                \
        y[t] = sum;                                                                                 \
      }                                                                                             \
    }                                                                                               \
  }

C1D_GEMM_TILE_GENERIC(gemm_tile_portable, )
C1D_DEPTHWISE_GENERIC(depthwise_portable, )

#if C1D_X86
C1D_GEMM_TILE_GENERIC(gemm_tile_avx2, __attribute__((target("avx2,fma"))))
C1D_DEPTHWISE_GENERIC(depthwise_avx2, __attribute__((target("avx2,fma"))))

// ---- AVX-512 -----------------------------------------------------------------------------------

__attribute__((target("avx512f,fma"))) static void depthwise_avx512(const float *x, const float *w, long k,
                                                                      long d, long s, float bias, float *y,
                                                                      long count) {
  if (s != 1) {
    depthwise_portable(x, w, k, d, s, bias, y, count);
    return;
  }
  long t = 0;
  __m512 vb = _mm512_set1_ps(bias);
  // Four independent accumulators cover the FMA latency.
  for (; t + 64 <= count; t += 64) {
    __m512 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (long q = 0; q < k; q++) {
      __m512 wq = _mm512_set1_ps(w[q]);
      const float *xq = x + t + q * d;
      a0 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq), a0);
      a1 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq + 16), a1);
      a2 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq + 32), a2);
      a3 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq + 48), a3);
    }
    _mm512_storeu_ps(y + t, a0);
    _mm512_storeu_ps(y + t + 16, a1);
    _mm512_storeu_ps(y + t + 32, a2);
    _mm512_storeu_ps(y + t + 48, a3);
  }
  for (; t < count; t += 16) {
    long left = count - t;
    __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    __m512 a0 = vb;
    for (long q = 0; q < k; q++)
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[q]), _mm512_maskz_loadu_ps(m, x + t + q * d), a0);
    _mm512_mask_storeu_ps(y + t, m, a0);
  }
}
#endif

#if C1D_X86
// One body for both ways of reading B: through a row table at an offset (rows != NULL), or as a
// contiguous packed panel b (rows == NULL). Always inlined into two wrappers, so the choice is made
// once per call, not per step.
__attribute__((target("avx512f,fma"), always_inline)) static inline void
gemm_tile_avx512_body(long kc, const float *a, const float *const *rows, long offset, const float *b, float *c,
                      long ldc, long row_count, long cols, int accumulate, const float *bias) {
  __m512 acc0[MR], acc1[MR];
  for (int i = 0; i < MR; i++) {
    float init = (!accumulate && bias && i < row_count) ? bias[i] : 0.0f;
    acc0[i] = _mm512_set1_ps(init);
    acc1[i] = acc0[i];
  }
  // Masked-off lanes are never read, so a partial panel cannot run past the end of its row.
  __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
  __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
  for (long p = 0; p < kc; p++) {
    const float *bp = rows ? rows[p] + offset : b + p * NR;
    __m512 b0 = _mm512_maskz_loadu_ps(m0, bp);
    __m512 b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
    const float *ap = a + p * MR;
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      __m512 av = _mm512_set1_ps(ap[i]);
      acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= row_count) break;
    float *ci = c + i * ldc;
    __m512 v0 = acc0[i], v1 = acc1[i];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
    }
    _mm512_mask_storeu_ps(ci, m0, v0);
    _mm512_mask_storeu_ps(ci + 16, m1, v1);
  }
}

__attribute__((target("avx512f,fma"))) static void gemm_tile_indirect_avx512(long kc, const float *a,
                                                                               const float *const *rows, long offset,
                                                                               float *c, long ldc, long row_count,
                                                                               long cols, int accumulate,
                                                                               const float *bias) {
  gemm_tile_avx512_body(kc, a, rows, offset, NULL, c, ldc, row_count, cols, accumulate, bias);
}

__attribute__((target("avx512f,fma"))) static void gemm_tile_avx512(long kc, const float *a, const float *b, float *c,
                                                                      long ldc, long row_count, long cols,
                                                                      int accumulate, const float *bias) {
  gemm_tile_avx512_body(kc, a, NULL, 0, b, c, ldc, row_count, cols, accumulate, bias);
}
#endif

void c1d_gemm_tile_indirect(c1d_isa isa, long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                            long row_count, long cols, int accumulate, const float *bias) {
#if C1D_X86
  if (isa == C1D_ISA_AVX512) {
    gemm_tile_indirect_avx512(kc, a, rows, offset, c, ldc, row_count, cols, accumulate, bias);
    return;
  }
#endif
  // Elsewhere gather the rows into a packed panel, in blocks that fit on the stack.
  float panel[64 * NR];
  for (long p0 = 0; p0 < kc; p0 += 64) {
    long block = kc - p0 < 64 ? kc - p0 : 64;
    c1d_pack_rows(isa, block, rows + p0, offset, cols, panel);
    c1d_gemm_tile(isa, block, a + p0 * MR, panel, c, ldc, row_count, cols, accumulate || p0 > 0, bias);
  }
}

#if C1D_X86
__attribute__((target("avx512f"))) static void pack_rows_avx512(long kc, const float *const *rows, long offset, long cols,
                                                                 float *panel) {
  __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
  __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
  for (long p = 0; p < kc; p++) {
    // The next column panel of the same rows comes next; its lines are far apart (one per input
    // channel), out of the hardware prefetcher's reach.
    const float *row = rows[p] + offset;
    _mm_prefetch((const char *)(row + NR), _MM_HINT_T0);
    _mm_prefetch((const char *)(row + NR + 16), _MM_HINT_T0);
    _mm512_storeu_ps(panel + p * NR, _mm512_maskz_loadu_ps(m0, row));
    _mm512_storeu_ps(panel + p * NR + 16, _mm512_maskz_loadu_ps(m1, row + 16));
  }
}
#endif

void c1d_pack_rows(c1d_isa isa, long kc, const float *const *rows, long offset, long cols, float *panel) {
#if C1D_X86
  if (isa == C1D_ISA_AVX512) {
    pack_rows_avx512(kc, rows, offset, cols, panel);
    return;
  }
#endif
  for (long p = 0; p < kc; p++)
    for (long j = 0; j < NR; j++) panel[p * NR + j] = j < cols ? rows[p][offset + j] : 0.0f;
}

void c1d_gemm_tile(c1d_isa isa, long kc, const float *a, const float *b, float *c, long ldc, long rows,
                   long cols, int accumulate, const float *bias) {
#if C1D_X86
  if (isa == C1D_ISA_AVX512) return gemm_tile_avx512(kc, a, b, c, ldc, rows, cols, accumulate, bias);
  if (isa == C1D_ISA_AVX2) return gemm_tile_avx2(kc, a, b, c, ldc, rows, cols, accumulate, bias);
#endif
  gemm_tile_portable(kc, a, b, c, ldc, rows, cols, accumulate, bias);
}

#if C1D_X86
__attribute__((target("avx512f"))) static long split_pairs_avx512(const float *x, long length, float *even, float *odd) {
  const __m512i evens = even_lanes(), odds = odd_lanes();
  long i = 0;
  for (; i + 32 <= length; i += 32) {
    __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    _mm512_storeu_ps(even + i / 2, _mm512_permutex2var_ps(a, evens, b));
    _mm512_storeu_ps(odd + i / 2, _mm512_permutex2var_ps(a, odds, b));
  }
  return i;
}
#endif

void c1d_split_phases(c1d_isa isa, const float *x, long length, long stride, long phase_length, float *y) {
  long i = 0;
#if C1D_X86
  if (isa == C1D_ISA_AVX512 && stride == 2) i = split_pairs_avx512(x, length, y, y + phase_length);
#endif
  // One sequential pass over the row, whatever the stride.
  for (long j = i / stride; j * stride < length; j++)
    for (long p = 0; p < stride && j * stride + p < length; p++) y[p * phase_length + j] = x[j * stride + p];
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

#if C1D_X86
// Outputs [from, to) of a stride-1 row with constant padding, 16 at a time: each tap is a masked load
// whose lanes outside the row take the padding value, so the edges run as fast as the interior.
__attribute__((target("avx512f,fma"))) static void depthwise_edges_avx512(const float *x, long length, long left,
                                                                            float value, const float *w, long k,
                                                                            long d, float bias, float *y, long from,
                                                                            long to) {
  __m512 padding = _mm512_set1_ps(value);
  for (long t = from; t < to; t += 16) {
    long lanes = to - t < 16 ? to - t : 16;
    __m512 acc = _mm512_set1_ps(bias);
    for (long q = 0; q < k; q++) {
      long i0 = t - left + q * d;
      long first = i0 < 0 ? -i0 : 0;         // lanes [first, end) lie inside the row
      long end = length - i0 < 16 ? length - i0 : 16;
      __m512 xv = padding;
      if (first < end) {
        __mmask16 inside = (__mmask16)(((1u << end) - 1) & ~((1u << first) - 1));
        xv = _mm512_mask_loadu_ps(padding, inside, x + i0);
      }
      acc = _mm512_fmadd_ps(_mm512_set1_ps(w[q]), xv, acc);
    }
    _mm512_mask_storeu_ps(y + t, (__mmask16)((1u << lanes) - 1), acc);
  }
}
#endif

void c1d_depthwise_row_bordered(c1d_isa isa, const float *x, long length, long left, int mode, float value,
                                const float *w, long kernel_size, long dilation, long stride, float bias, float *y,
                                long count) {
  long span = (kernel_size - 1) * dilation;
  // Output t reads x[t*stride - left + q*dilation]; all of its taps are inside for t in [low, high).
  long low, high;
  interior_range(length, left, stride, span, 0, count, &low, &high);
#if C1D_X86
  if (isa == C1D_ISA_AVX512 && stride == 1 && mode == C1D_BORDER_CONSTANT) {
    depthwise_edges_avx512(x, length, left, value, w, kernel_size, dilation, bias, y, 0, low);
    depthwise_edges_avx512(x, length, left, value, w, kernel_size, dilation, bias, y, high, count);
    if (high > low) depthwise_avx512(x + (low - left), w, kernel_size, dilation, 1, bias, y + low, high - low);
    return;
  }
#endif
  for (long t = 0; t < count; t++) {
    if (t == low) t = high;
    if (t >= count) break;
    float sum = bias;
    for (long q = 0; q < kernel_size; q++) sum += w[q] * border_value(x, length, t * stride - left + q * dilation, mode, value);
    y[t] = sum;
  }
  if (high > low)
    c1d_depthwise_row(isa, x + (low * stride - left), w, kernel_size, dilation, stride, bias, y + low, high - low);
}

void c1d_depthwise_row(c1d_isa isa, const float *x, const float *w, long kernel_size, long dilation, long stride,
                       float bias, float *y, long count) {
#if C1D_X86
  if (isa == C1D_ISA_AVX512) return depthwise_avx512(x, w, kernel_size, dilation, stride, bias, y, count);
  if (isa == C1D_ISA_AVX2) return depthwise_avx2(x, w, kernel_size, dilation, stride, bias, y, count);
#endif
  depthwise_portable(x, w, kernel_size, dilation, stride, bias, y, count);
}

// ---- kernel 3, stride 2, by output pairs ---------------------------------------------------------

#if C1D_X86
// Pairs done: 16 at a time while all 32 outputs fit.
__attribute__((target("avx512f"))) static long pairs_combine_avx512(const float *p, const float *q, const float *r,
                                                                     float *y, long count) {
  long j = 0;
  for (; 2 * j + 32 <= count; j += 16) {
    __m512 vp = _mm512_loadu_ps(p + j);
    store_interleaved(y + 2 * j, _mm512_add_ps(vp, _mm512_loadu_ps(q + j)), _mm512_add_ps(vp, _mm512_loadu_ps(r + j)));
  }
  return j;
}
#endif

// Pairs [from, to) whose five positions all lie in the row.
static void stride2_pairs_portable(const float *x, long from, long to, long left, long first, float *d1, float *e,
                                   float *d2, float *d3, float *f) {
  for (long u = from; u < to; u++) {
    const float *v = x + 4 * u - left;
    d1[u - first] = v[0] - v[2];
    e[u - first] = v[1];
    d2[u - first] = v[2];
    d3[u - first] = v[4] - v[2];
    f[u - first] = v[3];
  }
}

#if C1D_X86
// 16 pairs at a time: 64 positions split four ways in two rounds of even/odd permutes; v4 is v0
// moved one lane along, with the next block's first position shifted in.
__attribute__((target("avx512f"))) static void stride2_pairs_avx512(const float *x, long from, long to, long left,
                                                                     long first, float *d1, float *e, float *d2,
                                                                     float *d3, float *f) {
  const __m512i evens = even_lanes(), odds = odd_lanes();
  long u = from;
  for (; u + 16 <= to; u += 16) {
    const float *v = x + 4 * u - left;
    __m512 z0 = _mm512_loadu_ps(v), z1 = _mm512_loadu_ps(v + 16), z2 = _mm512_loadu_ps(v + 32),
           z3 = _mm512_loadu_ps(v + 48);
    __m512 a = _mm512_permutex2var_ps(z0, evens, z1), b = _mm512_permutex2var_ps(z0, odds, z1);
    __m512 c = _mm512_permutex2var_ps(z2, evens, z3), d = _mm512_permutex2var_ps(z2, odds, z3);
    __m512 v0 = _mm512_permutex2var_ps(a, evens, c), v2 = _mm512_permutex2var_ps(a, odds, c);
    __m512 v1 = _mm512_permutex2var_ps(b, evens, d), v3 = _mm512_permutex2var_ps(b, odds, d);
    __m512 v4 = _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(v[64])), _mm512_castps_si512(v0), 1));
    long i = u - first;
    _mm512_storeu_ps(d1 + i, _mm512_sub_ps(v0, v2));
    _mm512_storeu_ps(e + i, v1);
    _mm512_storeu_ps(d2 + i, v2);
    _mm512_storeu_ps(d3 + i, _mm512_sub_ps(v4, v2));
    _mm512_storeu_ps(f + i, v3);
  }
  stride2_pairs_portable(x, u, to, left, first, d1, e, d2, d3, f);
}
#endif

// Pairs [from, to) near the edges: positions outside the row read the padding, or 0 beyond any output's reach.
static void stride2_pairs_bordered(const float *x, long length, long left, int mode, float value, long reach_high,
                                   long from, long to, long first, float *d1, float *e, float *d2, float *d3,
                                   float *f) {
  for (long u = from; u < to; u++) {
    float v[5];
    for (int j = 0; j < 5; j++) {
      long i = 4 * u - left + j;
      v[j] = (i >= 0 && i < length) || (i >= -left && i <= reach_high) ? border_value(x, length, i, mode, value) : 0.0f;
    }
    d1[u - first] = v[0] - v[2];
    e[u - first] = v[1];
    d2[u - first] = v[2];
    d3[u - first] = v[4] - v[2];
    f[u - first] = v[3];
  }
}

void c1d_stride2_pairs(c1d_isa isa, const float *x, long length, long left, int mode, float value, long reach_high,
                       long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f) {
  long end = first + pairs, from, to;
  interior_range(length, left, 4, 4, first, end, &from, &to);
  stride2_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d1, e, d2, d3, f);
#if C1D_X86
  if (isa == C1D_ISA_AVX512)
    stride2_pairs_avx512(x, from, to, left, first, d1, e, d2, d3, f);
  else
#endif
    stride2_pairs_portable(x, from, to, left, first, d1, e, d2, d3, f);
  stride2_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d1, e, d2, d3, f);
}

void c1d_pairs_combine(c1d_isa isa, const float *p, const float *q, const float *r, float *y, long count) {
  long j = 0;
#if C1D_X86
  if (isa == C1D_ISA_AVX512) j = pairs_combine_avx512(p, q, r, y, count);
#endif
  for (; 2 * j < count; j++) {
    y[2 * j] = p[j] + q[j];
    if (2 * j + 1 < count) y[2 * j + 1] = p[j] + r[j];
  }
}

// ---- kernel 3, stride 1, by output pairs (Winograd F(2, 3)) ---------------------------------------

static inline void winograd23_store(float v0, float v1, float v2, float v3, long i, float *d0, float *d1, float *d2,
                                    float *d3) {
  d0[i] = v0 - v2;
  d1[i] = v1 + v2;
  d2[i] = v2 - v1;
  d3[i] = v1 - v3;
}

// Pairs [from, to) whose four positions all lie in the row.
static void winograd23_pairs_portable(const float *x, long from, long to, long left, long first, float *d0, float *d1,
                                      float *d2, float *d3) {
  for (long u = from; u < to; u++) {
    const float *v = x + 2 * u - left;
    winograd23_store(v[0], v[1], v[2], v[3], u - first, d0, d1, d2, d3);
  }
}

#if C1D_X86
// 16 pairs at a time: 32 positions split even/odd; v2 and v3 are v0 and v1 moved one lane along, with
// the next block's first positions shifted in.
__attribute__((target("avx512f"))) static void winograd23_pairs_avx512(const float *x, long from, long to, long left,
                                                                        long first, float *d0, float *d1, float *d2,
                                                                        float *d3) {
  const __m512i evens = even_lanes(), odds = odd_lanes();
  long u = from;
  for (; u + 16 <= to; u += 16) {
    const float *v = x + 2 * u - left;
    __m512 z0 = _mm512_loadu_ps(v), z1 = _mm512_loadu_ps(v + 16);
    __m512 v0 = _mm512_permutex2var_ps(z0, evens, z1), v1 = _mm512_permutex2var_ps(z0, odds, z1);
    __m512 v2 = _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(v[32])), _mm512_castps_si512(v0), 1));
    __m512 v3 = _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(v[33])), _mm512_castps_si512(v1), 1));
    long i = u - first;
    _mm512_storeu_ps(d0 + i, _mm512_sub_ps(v0, v2));
    _mm512_storeu_ps(d1 + i, _mm512_add_ps(v1, v2));
    _mm512_storeu_ps(d2 + i, _mm512_sub_ps(v2, v1));
    _mm512_storeu_ps(d3 + i, _mm512_sub_ps(v1, v3));
  }
  winograd23_pairs_portable(x, u, to, left, first, d0, d1, d2, d3);
}

// Pairs done: 16 at a time while all 32 outputs fit.
__attribute__((target("avx512f"))) static long winograd23_combine_avx512(const float *m0, const float *m1,
                                                                          const float *m2, const float *m3, float *y,
                                                                          long count) {
  long j = 0;
  for (; 2 * j + 32 <= count; j += 16) {
    __m512 b = _mm512_loadu_ps(m1 + j), c = _mm512_loadu_ps(m2 + j);
    store_interleaved(y + 2 * j, _mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(m0 + j), b), c),
                      _mm512_sub_ps(_mm512_sub_ps(b, c), _mm512_loadu_ps(m3 + j)));
  }
  return j;
}
#endif

// Pairs [from, to) near the edges: positions outside the row read the padding, or 0 beyond any output's reach.
static void winograd23_pairs_bordered(const float *x, long length, long left, int mode, float value, long reach_high,
                                      long from, long to, long first, float *d0, float *d1, float *d2, float *d3) {
  for (long u = from; u < to; u++) {
    float v[4];
    for (int j = 0; j < 4; j++) {
      long i = 2 * u - left + j;
      v[j] = (i >= 0 && i < length) || (i >= -left && i <= reach_high) ? border_value(x, length, i, mode, value) : 0.0f;
    }
    winograd23_store(v[0], v[1], v[2], v[3], u - first, d0, d1, d2, d3);
  }
}

void c1d_winograd23_pairs(c1d_isa isa, const float *x, long length, long left, int mode, float value, long reach_high,
                          long first, long pairs, float *d0, float *d1, float *d2, float *d3) {
  long end = first + pairs, from, to;
  interior_range(length, left, 2, 3, first, end, &from, &to);
  winograd23_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d0, d1, d2, d3);
#if C1D_X86
  if (isa == C1D_ISA_AVX512)
    winograd23_pairs_avx512(x, from, to, left, first, d0, d1, d2, d3);
  else
#endif
    winograd23_pairs_portable(x, from, to, left, first, d0, d1, d2, d3);
  winograd23_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d0, d1, d2, d3);
}

void c1d_winograd23_combine(c1d_isa isa, const float *m0, const float *m1, const float *m2, const float *m3, float *y,
                            long count) {
  long j = 0;
#if C1D_X86
  if (isa == C1D_ISA_AVX512) j = winograd23_combine_avx512(m0, m1, m2, m3, y, count);
#endif
  for (; 2 * j < count; j++) {
    y[2 * j] = m0[j] + m1[j] + m2[j];
    if (2 * j + 1 < count) y[2 * j + 1] = m1[j] - m2[j] - m3[j];
  }
}

