#ifndef C1D_ELEMENTWISE_H
#define C1D_ELEMENTWISE_H

// Element-wise kernels of the format 1.1 ops (plain C; the compiler vectorises the stride-1 loops).
// Every function is PyTorch's float32 semantics, NaN propagation included.

typedef enum {
  C1D_BINARY_ADD = 0,
  C1D_BINARY_SUB = 1,
  C1D_BINARY_MUL = 2,
  C1D_BINARY_DIV = 3,
  C1D_BINARY_POW = 4,
  C1D_BINARY_MAXIMUM = 5,
  C1D_BINARY_MINIMUM = 6,
} c1d_binary_op;

/// y[i] = a[i * a_stride] op b[i * b_stride] for i < count; a stride of 0 broadcasts one value.
void c1d_binary_row(int op, const float *a, long a_stride, const float *b, long b_stride, float *y, long count);

typedef enum {
  C1D_UNARY_ABS = 0,
  C1D_UNARY_NEG = 1,
  C1D_UNARY_EXP = 2,
  C1D_UNARY_LOG = 3,
  C1D_UNARY_SQRT = 4,
  C1D_UNARY_RSQRT = 5,
  C1D_UNARY_SQUARE = 6,
  C1D_UNARY_RECIPROCAL = 7,
  C1D_UNARY_SIN = 8,
  C1D_UNARY_COS = 9,
  C1D_UNARY_MISH = 10,
  C1D_UNARY_HARDSWISH = 11,
  C1D_UNARY_HARDSIGMOID = 12,
  /// p0 = beta, p1 = threshold.
  C1D_UNARY_SOFTPLUS = 13,
  /// p0 = min (−inf for none), p1 = max (+inf for none).
  C1D_UNARY_CLAMP = 14,
} c1d_unary_op;

/// x[i] = f(x[i]) for i < count, in place.
void c1d_unary(int op, float *x, long count, float p0, float p1);

/// Snake: x[i] += scale · sin²(alpha · x[i]), in place, for one channel's row.
void c1d_snake_row(float *x, long count, float alpha, float scale);

/// Softmax (or log-softmax when is_log) of row[i * stride] for i < count, in place.
void c1d_softmax_row(float *row, long stride, long count, int is_log);

/// GLU: y[i] = a[i·stride] · sigmoid(b[i·stride]) for i < count (y contiguous).
void c1d_sigmoid_gate(const float *a, const float *b, long stride, float *y, long count);

#endif
