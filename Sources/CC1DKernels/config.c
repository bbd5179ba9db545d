// The one place that knows which micro-kernels each ISA has, and which of them this CPU runs. A new ISA
// (arm64 NEON, say) is its kernel files plus one table below and one line in c1d_kernel_config_for.
#include "x86.h"

#include "c1d_pack.h"

#include <limits.h>
#include <stddef.h>

static const float zeros_x32[C1D_GEMM_8X32_NR];

static const c1d_kernel_config scalar_config = {
    .name = "scalar",
    .mr = C1D_GEMM_8X32_MR,
    .nr = C1D_GEMM_8X32_NR,
    .zeros = zeros_x32,
    .gemm = c1d_f32_gemm_8x32__scalar,
    .gemm_indirect = c1d_f32_igemm_8x32__scalar,
    .pack_rows = c1d_f32_pack_rows_x32__scalar,
    .in_place_min_taps = LONG_MAX,
    .in_place_max_panels = 0,
    .pack_conv_weights = c1d_f32_pack_conv_weights,
    .pack_stride2_weights = c1d_f32_pack_stride2_weights,
    .split_phases = c1d_f32_phases__scalar,
    .interleave_phases = c1d_f32_interleave__scalar,
    .depthwise_row = c1d_f32_dwconv__scalar,
    .winograd23_pairs = c1d_f32_winograd23_pairs__scalar,
    .winograd23_combine = c1d_f32_winograd23_combine__scalar,
    .winograd23_dilated_pairs = c1d_f32_winograd23_dilated_pairs,
    .winograd23_dilated_combine = c1d_f32_winograd23_dilated_combine,
    .stride2_pairs = c1d_f32_stride2_pairs__scalar,
    .stride2_combine = c1d_f32_stride2_combine__scalar,
    .stride2_triples = c1d_f32_stride2_triples__scalar,
    .stride2_triples_combine = c1d_f32_stride2_triples_combine__scalar,
    .stride2_by_triples = 1,
    .max_pool_row = c1d_f32_maxpool__scalar,
    .activation = c1d_f32_vact__scalar,
    .gate = c1d_f32_vgate__scalar,
    .binary = c1d_f32_vbinary__scalar,
    .moments = c1d_f32_moments__scalar,
};

#if C1D_X86
// AVX2 has a kernel of its own in every family, and shares the AVX and AVX2 weight packing with AVX-512.
static const c1d_kernel_config avx2_config = {
    .name = "avx2",
    .mr = C1D_GEMM_8X32_MR,
    .nr = C1D_GEMM_8X32_NR,
    .zeros = zeros_x32,
    .gemm = c1d_f32_gemm_8x32__avx2,
    .gemm_indirect = c1d_f32_igemm_8x32__avx2,
    .pack_rows = c1d_f32_pack_rows_x32__avx2,
    .in_place_min_taps = 8,
    .in_place_max_panels = 4,
    .pack_conv_weights = c1d_f32_pack_conv_weights__avx,
    .pack_stride2_weights = c1d_f32_pack_stride2_weights__avx2,
    .split_phases = c1d_f32_phases__avx2,
    .interleave_phases = c1d_f32_interleave__avx2,
    .depthwise_row = c1d_f32_dwconv__avx2,
    .winograd23_pairs = c1d_f32_winograd23_pairs__avx2,
    .winograd23_combine = c1d_f32_winograd23_combine__avx2,
    .winograd23_dilated_pairs = c1d_f32_winograd23_dilated_pairs,
    .winograd23_dilated_combine = c1d_f32_winograd23_dilated_combine,
    .stride2_pairs = c1d_f32_stride2_pairs__avx2,
    .stride2_combine = c1d_f32_stride2_combine__avx2,
    .stride2_triples = c1d_f32_stride2_triples__scalar,
    .stride2_triples_combine = c1d_f32_stride2_triples_combine__scalar,
    .stride2_by_triples = 0,
    .max_pool_row = c1d_f32_maxpool__avx2,
    .activation = c1d_f32_vact__avx2,
    .gate = c1d_f32_vgate__avx2,
    .binary = c1d_f32_vbinary__avx2,
    .moments = c1d_f32_moments__avx2,
};

static const c1d_kernel_config avx512_config = {
    .name = "avx512f",
    .mr = C1D_GEMM_8X32_MR,
    .nr = C1D_GEMM_8X32_NR,
    .zeros = zeros_x32,
    .gemm = c1d_f32_gemm_8x32__avx512f,
    .gemm_indirect = c1d_f32_igemm_8x32__avx512f,
    .pack_rows = c1d_f32_pack_rows_x32__avx512f,
    .in_place_min_taps = LONG_MAX,
    .in_place_max_panels = 0,
    .pack_conv_weights = c1d_f32_pack_conv_weights__avx,
    .pack_stride2_weights = c1d_f32_pack_stride2_weights__avx2,
    .split_phases = c1d_f32_phases__avx512f,
    .interleave_phases = c1d_f32_interleave__avx512f,
    .depthwise_row = c1d_f32_dwconv__avx512f,
    .winograd23_pairs = c1d_f32_winograd23_pairs__avx512f,
    .winograd23_combine = c1d_f32_winograd23_combine__avx512f,
    .winograd23_dilated_pairs = c1d_f32_winograd23_dilated_pairs,
    .winograd23_dilated_combine = c1d_f32_winograd23_dilated_combine,
    .stride2_pairs = c1d_f32_stride2_pairs__avx512f,
    .stride2_combine = c1d_f32_stride2_combine__avx512f,
    .stride2_triples = c1d_f32_stride2_triples__avx512f,
    .stride2_triples_combine = c1d_f32_stride2_triples_combine__avx512f,
    .stride2_by_triples = 1,
    .max_pool_row = c1d_f32_maxpool__avx512f,
    .activation = c1d_f32_vact__avx512f,
    .gate = c1d_f32_vgate__avx512f,
    .binary = c1d_f32_vbinary__avx512f,
    .moments = c1d_f32_moments__avx512f,
};
#endif

const c1d_kernel_config *c1d_kernel_config_for(c1d_isa isa) {
  switch (isa) {
  case C1D_ISA_PORTABLE: return &scalar_config;
#if C1D_X86
  case C1D_ISA_AVX2:
    return c1d_x86_has_avx2_fma() ? &avx2_config : NULL;
  case C1D_ISA_AVX512:
    // The activation and moment kernels use AVX512DQ too, which every AVX-512 CPU but Xeon Phi has.
    return c1d_x86_has_avx512f() ? &avx512_config : NULL;
#endif
  default: return NULL;
  }
}

const c1d_kernel_config *c1d_kernel_config_best(void) {
  for (int isa = C1D_ISA_COUNT - 1; isa >= 0; isa--) {
    const c1d_kernel_config *config = c1d_kernel_config_for((c1d_isa)isa);
    if (config) return config;
  }
  return &scalar_config;
}
