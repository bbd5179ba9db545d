/// When a loaded model's kernels are made: its weights decoded, checked and packed.
public enum KernelPreparation: Sendable, Hashable {
  /// At load, all of them (on up to the load's threads); every run reuses them. A tensor whose data is bad
  /// is reported by the initializer.
  case atLoad
  /// In each run, step by step: a step's weights are decoded, checked and packed when the run reaches it,
  /// and freed once the run no longer needs them, so that one step's packed weights are alive at a time and
  /// the next step's weights and the activations reuse their pages. For a model that runs once (`convrun`
  /// with one input at one thread): every run decodes its weights again, one step after another on the
  /// run's thread, and a tensor whose data is bad is reported by `run` (with the same error) rather than by
  /// the initializer. wav2vec 2.0's feature encoder stored as f16: peak memory of a load and run 40 -> 24 MiB.
  case perRun
}

/// A step's kernel under `KernelPreparation.perRun`: made when a run reaches the step, from the recipe
/// the planner would have called at load.
struct KernelMadePerRun: OpKernel {
  let make: @Sendable () -> any OpKernel
  /// Identifies this step's kernel in a run's `RunKernels`.
  let id: Int

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let kernel = context.runKernels?.kernel(id, make: make) ?? make()
    return kernel.run(inputs, output: output, context: context)
  }

  /// Makes the kernel into `kernels` now, ahead of the run's first pass through its step.
  func prepare(in kernels: RunKernels) {
    _ = kernels.kernel(id, make: make)
  }
}

/// The kernels one run made, for a run that reaches a step more than once (sample by sample, or the
/// profiler's repeated passes): made once, dropped with the run.
final class RunKernels: Sendable {
  private let made = Locked<[Int: any OpKernel]>([:])

  func kernel(_ id: Int, make: () -> any OpKernel) -> any OpKernel {
    if let kernel = made.withLock({ $0[id] }) { return kernel }
    // Made outside the lock: a step's making may itself use the worker pool.
    let kernel = make()
    return made.withLock { made in
      if let existing = made[id] { return existing }
      made[id] = kernel
      return kernel
    }
  }
}
