import C1D
import ConvRunAudio
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A run of a model on input files, as `convrun MODEL INPUT…` asks for it: what `RunCommand` parses to,
/// or what `RunJob.plain` reads straight from the arguments. A plain value, so that the common call needs
/// no argument-parser type at all (their first use costs a process about 0.25 ms of metadata work).
struct RunJob: Equatable {
  var model: String
  var inputs: [String]
  var output: String?
  var outputFormat: OutputFormat?
  var force = false
  var json = false
  /// Print where each input's time went (`PhaseTimings`) on stderr.
  var timings = false
  var input = InputSettings()
  var runtime = RuntimeSettings()

  /// Every check the library's parse makes: the options groups' and `checkArguments`.
  /// - Throws: `CLIError` with exit status 2.
  func check() throws {
    try checkArguments()
    try input.check()
    try runtime.check()
  }

  /// The run's own checks (`RunCommand.validate`; the options groups validate themselves).
  /// - Throws: `CLIError` with exit status 2.
  func checkArguments() throws {
    func usage(_ message: String) -> CLIError { CLIError(description: message, exitCode: 2) }
    if inputs.isEmpty { throw usage("give an input file after the model (or - for stdin)") }
    if output?.isEmpty == true { throw usage("-o needs a file or directory name, got an empty string") }
    if inputs.filter({ $0 == "-" }).count > 1 { throw usage("stdin (-) can be read only once") }
  }

  /// Weights prepared step by step in the run (`KernelPreparation.perRun`) where the model runs once and
  /// nothing would run beside a load: one input, one thread, and no progress bar (a batch run in slices for
  /// it would prepare the weights once per slice). Only one step's packed weights are then alive at a time:
  /// wav2vec 2.0's feature encoder (f16) peaks at 24 MiB instead of 40, and its whole process is ~3% faster
  /// for the pages it does not fault in. At more threads the load packs kernels in parallel instead.
  var kernelPreparation: KernelPreparation {
    let threads = runtime.threads ?? Model.defaultThreads
    return inputs.count == 1 && threads == 1 && !standardErrorIsTerminal ? .perRun : .atLoad
  }

  func run() throws {
    let clock = ContinuousClock()
    let loadStart = clock.now
    let model = try ModelFile.load(self.model, threads: runtime.threads, preparing: kernelPreparation)
    var loadTime: Duration? = clock.now - loadStart
    guard model.graph.inputs.count == 1 else {
      throw CLIError(description: "\(self.model) has \(plural(model.graph.inputs.count, "input")); convrun runs single-input models")
    }
    let destination = try OutputDestination(output: output, format: outputFormat, inputCount: inputs.count, force: force)
    try checkDistinctTargets(destination, model: model)
    let loader = InputLoader(model: model, options: input)
    var failures = 0
    for (index, path) in inputs.enumerated() {
      if inputs.count > 1, standardErrorIsTerminal {
        StandardError.progress("[\(index + 1)/\(inputs.count)] \(path)")
      }
      defer { loadTime = nil }  // the load is the first input's alone
      do {
        try runOne(path, model: model, loader: loader, destination: destination, loadTime: loadTime)
      } catch where inputs.count > 1 {
        // One bad file among many is reported, and the rest still run.
        failures += 1
        if standardErrorIsTerminal { StandardError.progress("") }
        printError("error: \(error)")
      }
    }
    if inputs.count > 1, standardErrorIsTerminal { StandardError.progress("") }
    if failures > 0 { throw CLIError(description: "\(failures) of \(inputs.count) inputs failed") }
  }

  private func runOne(
    _ path: String, model: Model, loader: InputLoader, destination: OutputDestination, loadTime: Duration?
  ) throws {
    let clock = ContinuousClock()
    let inputStart = clock.now
    let input = try loader.load(path)
    let inputTime = clock.now - inputStart
    let shape = input.tensor.shape
    try runtime.checkMemory(model, length: shape[shape.count - 1], batch: shape.count == 3 ? shape[0] : 1)
    let start = clock.now
    let outputs = try runWithProgress(model, input.tensor)
    let elapsed = clock.now - start
    let written = try write(outputs, of: input, model: model, to: destination)
    let phases = PhaseTimings(load: loadTime, input: inputTime, run: elapsed, write: clock.now - (start + elapsed))
    report(input, outputs, written: written, phases: phases, destination: destination)
  }

  /// Writes every output where the destination says; returns (output, path) for each file written.
  private func write(_ outputs: [(String, Tensor)], of input: LoadedInput, model: Model, to destination: OutputDestination) throws -> [(String, String)] {
    let encoder = OutputEncoder(model: model)
    if case .standardOutput(let format) = destination {
      guard outputs.count == 1 else {
        throw CLIError(description: "the model has \(plural(outputs.count, "output")) (\(outputs.map(\.0).joined(separator: ", "))); -o - writes one: give a file name or a directory instead")
      }
      try OutputFile.writeStandardOutput(try encoder.encode(outputs[0].1, name: outputs[0].0, format: format, input: input))
      return []
    }
    var written: [(String, String)] = []
    for (name, tensor) in outputs {
      guard let (path, format) = destination.target(input: input.name, output: name, outputCount: outputs.count) else { continue }
      try OutputFile.check(path, force: force)
      try OutputFile.write(try encoder.encode(tensor, name: name, format: format, input: input), to: path)
      written.append((name, path))
    }
    return written
  }

  private func report(
    _ input: LoadedInput, _ outputs: [(String, Tensor)], written: [(String, String)], phases: PhaseTimings,
    destination: OutputDestination
  ) {
    if timings { printError(phases.text(input: inputs.count > 1 ? input.name : nil)) }
    let milliseconds = phases.run.milliseconds
    // Statistics are a pass over every output value: made only when printed, not for a file written.
    let summaries = { outputs.map { OutputSummary(name: $0.0, tensor: $0.1) } }
    if json {
      let line = OutputSummary.json(summaries(), milliseconds: milliseconds, phases: phases, input: input, written: written)
      if destination.writesToStandardOutput { printError(line) } else { print(line) }
      return
    }
    // Text goes to stderr when stdout carries the data.
    let emit: (String) -> Void = destination.writesToStandardOutput ? { printError($0) } : { print($0) }
    emit("\(input.name): \(input.interpretation)")
    for (name, path) in written {
      emit("wrote \(name) \(dimensions(outputs.first { $0.0 == name }?.1.shape ?? [])) to \(path)")
    }
    if case .summary = destination {
      for summary in summaries() { emit(summary.text) }
      emit("time: \(NumberText.fixed(milliseconds, places: 3)) ms")
    }
  }

  /// Two inputs with the same stem would write the same file in a directory; refuse before running.
  private func checkDistinctTargets(_ destination: OutputDestination, model: Model) throws {
    guard case .directory = destination else { return }
    var owners: [String: String] = [:]
    for path in inputs {
      let name = path == "-" ? "stdin" : path
      for output in model.graph.outputs {
        guard let (target, _) = destination.target(input: name, output: output, outputCount: model.graph.outputs.count) else { continue }
        if let other = owners[target] {
          throw CLIError(description: "\(other) and \(path) would both write \(target); rename one, or run them separately", exitCode: 2)
        }
        owners[target] = path
      }
    }
  }

  /// Runs in slices of the batch with a progress bar when the run is batched, long and stderr is a terminal.
  private func runWithProgress(_ model: Model, _ tensor: Tensor) throws -> [(String, Tensor)] {
    let name = model.graph.inputs[0].name
    let batch = tensor.shape.count == 3 ? tensor.shape[0] : 1
    let work = tensor.values.count
    let length = tensor.shape[tensor.shape.count - 1]
    let memoryLimit = runtime.activationLimit(model, length: length, batch: batch)
    guard batch > 1, work > 1 << 20, standardErrorIsTerminal,
      slicesFit(model, length: length, batch: batch, inputBytes: work * 4, memoryLimit: memoryLimit)
    else {
      let result = try model.run([name: tensor], threads: runtime.threads, memoryLimit: memoryLimit)
      return model.graph.outputs.map { ($0, result[$0]!) }
    }
    let steps = min(batch, 50)
    var pieces: [[String: Tensor]] = []
    let sample = tensor.values.count / batch
    for step in 0..<steps {
      let (lower, upper) = (step * batch / steps, (step + 1) * batch / steps)
      let slice = try Tensor(shape: [upper - lower] + tensor.shape.dropFirst(), values: Array(tensor.values[lower * sample..<upper * sample]))
      pieces.append(try model.run([name: slice], threads: runtime.threads, memoryLimit: memoryLimit))
      let done = (step + 1) * 30 / steps
      StandardError.progress("[" + String(repeating: "#", count: done) + String(repeating: " ", count: 30 - done) + "] \(upper)/\(batch)")
    }
    StandardError.progress("")
    return try model.graph.outputs.map { output in
      let parts = pieces.map { $0[output]! }
      let shape = [batch] + parts[0].shape.dropFirst()
      return (output, try Tensor(shape: shape, values: parts.flatMap(\.values)))
    }
  }

  /// Whether slicing for the progress bar stays within the limit: besides a slice's run (at most the
  /// whole batch's activations), the slice's copy of the input and the outputs kept so far, then all of
  /// them again when joined. Else the batch runs whole, without a bar, rather than past the limit.
  private func slicesFit(_ model: Model, length: Int, batch: Int, inputBytes: Int, memoryLimit: Int) -> Bool {
    guard let activations = try? model.activationBytes(forInputLength: length, batch: batch),
      let shapes = try? model.shapes(forInputLength: length, batch: batch)
    else { return false }
    let outputs = model.graph.outputs.reduce(0) { total, name in
      total + Sizes.product(batch, shapes[name]?.channels ?? 0, shapes[name]?.length ?? 1, 4)
    }
    let needed = [activations, inputBytes, outputs, outputs].reduce(0) { $0 > Int.max - $1 ? Int.max : $0 + $1 }
    return needed <= memoryLimit
  }

  static func path(_ path: String, inserting name: String) -> String {
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "\(path).\(name)" }
    return "\(path[..<dot]).\(name)\(path[dot...])"
  }
}
