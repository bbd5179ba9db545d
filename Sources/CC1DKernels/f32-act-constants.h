// The formulas follow PyTorch's vectorised CPU kernels so that results agree closely: exp is
// Cephes' expf (about 1 ulp), erf is Abramowitz & Stegun 7.1.26 as in ATen's Vectorized<float>::erf,
// tanh is Cephes' tanhf (odd polynomial below 0.625, exp-based above). Shared by every ISA's
// f32-vact file, so that all of them compute the same functions.
#ifndef C1D_ACT_CONSTANTS_H
#define C1D_ACT_CONSTANTS_H

static const float kLog2e = 1.44269504088896341f, kExpC1 = 0.693359375f, kExpC2 = -2.12194440e-4f;
static const float kExpP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                               4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
// Above this (the float below ln(FLT_MAX)) exp is +inf, as in PyTorch's kernels: then sigmoid(x) = 1 / inf
// and silu(x) = x / inf are exactly 0 (−0) for x < −88.72, and silu(−inf) = −inf / inf is NaN. Between
// 88.38 and this, the polynomial runs at 88.38 (its scale's exponent would overflow): 2.4e38 for up to 3.4e38.
static const float kExpOverflow = 88.7228317f;
// The polynomial's range: beyond it 2^n's exponent field would overflow or wrap.
static const float kExpPolynomialMax = 88.3762626647949f, kExpPolynomialMin = -87.3365478515625f;
static const float kTanhP[5] = {-5.70498872745e-3f, 2.06390887954e-2f, -5.37397155531e-2f,
                                1.33314422036e-1f, -3.33332819422e-1f};
static const float kErfP = 0.3275911f, kErf1 = 0.254829592f, kErf2 = -0.284496736f, kErf3 = 1.421413741f,
                   kErf4 = -1.453152027f, kErf5 = 1.061405429f;

#endif
