import CC1DKernels

/// The micro-kernels a run calls: one C table (`c1d_kernel_config`) of function pointers and GEMM tile sizes,
/// chosen for the CPU in one place (CC1DKernels' `config.c`). Kernels call through it and never ask which
/// ISA it is for.
@dynamicMemberLookup
struct KernelConfig: @unchecked Sendable {  // points at a static, immutable C table
  private let table: UnsafePointer<c1d_kernel_config>

  /// The fastest set this CPU runs, resolved once per process.
  static let current = KernelConfig(table: c1d_kernel_config_best())

  /// Every set this CPU runs, the portable one first (tests run each).
  static let supported: [KernelConfig] = (0..<C1D_ISA_COUNT.rawValue).compactMap { KernelConfig(isa: c1d_isa($0)) }

  private init(table: UnsafePointer<c1d_kernel_config>) { self.table = table }

  /// The set for `isa`; nil when this CPU cannot run it.
  init?(isa: c1d_isa) {
    guard let table = c1d_kernel_config_for(isa) else { return nil }
    self.table = table
  }

  /// `avx512f`, `avx2` or `scalar`.
  var name: String { String(cString: table.pointee.name) }
  /// Output channels per packed weight panel.
  var mr: Int { table.pointee.mr }
  /// Output columns per micro-tile.
  var nr: Int { table.pointee.nr }
  /// `nr` zeros, never written.
  var zeros: UnsafePointer<Float> { table.pointee.zeros }

  subscript<Kernel>(dynamicMember kernel: KeyPath<c1d_kernel_config, Kernel>) -> Kernel {
    table.pointee[keyPath: kernel]
  }
}

extension KernelConfig: CustomStringConvertible {
  var description: String { name }
}
