#ifndef C1D_PACK_H
#define C1D_PACK_H

// Weight packing at load: a convolution's weights written once, straight into the GEMM micro-kernel's
// panels (c1d_kernels.h: A in panels of `mr` rows, element (i, p) of a panel at a[p * mr + i]). Portable C;
// the kernel configs hand out c1d_f32_pack_conv_weights or a vector version of it (pack_conv_weights).
//
// Each routine writes every element of its destination, the zero rows past the last output channel
// included, so the destination may be uninitialised memory.

/// w: `groups · group_out` rows of `depth` weights (a conv's (out, in/groups, k) tensor, depth = in/groups · k).
/// Group g, panel p (of ceil(group_out / mr)), depth index q, row r at
/// packed[((g · panels + p) · depth + q) · mr + r]; rows past the group's end are 0. With `scale` (NULL for
/// none), row o's weights are each multiplied by scale[o] (one float product: a folded batch norm's).
void c1d_f32_pack_conv_weights(long groups, long group_out, long depth, long mr, const float *w, const float *scale,
                               float *packed);

/// The transformed weights of a kernel-3, stride-1 conv by output pairs (Winograd's F(2, 3)), from w of shape
/// (out_channels, in_channels, 3): G0 = w0, G1 = (w0 + w1 + w2) / 2, G2 = (w0 − w1 + w2) / 2, G3 = w2, the
/// halves summed in double and rounded once. Each G is packed as a 1×1 conv of depth in_channels (as
/// c1d_f32_pack_conv_weights with one group).
void c1d_f32_pack_winograd23_weights(long out_channels, long in_channels, long mr, const float *w, float *g0, float *g1,
                                     float *g2, float *g3);

/// The transformed weights of a kernel-3, stride-2 conv by output pairs (F(2, 2) on taps 0 and 2), from w of
/// shape (out_channels, in_channels, 3): p = w0 + w2 (float sum) and each tap w0, w1, w2 alone, all of depth
/// in_channels (w1 serves both outputs of a pair: packed once). Packed as 1×1 convs, as
/// c1d_f32_pack_conv_weights with one group.
void c1d_f32_pack_stride2_weights(long out_channels, long in_channels, long mr, const float *w, float *p, float *w0,
                                  float *w1, float *w2);

#endif
