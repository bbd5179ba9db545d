import ArgumentParser
import C1D
import Foundation

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a model on an input file (the default subcommand).",
    discussion: """
      The input is raw little-endian float32 in C order (N, C_in, L), or a .npy file (<f4, C order,
      2-D (C, L) or 3-D (N, C, L)). For raw input, C_in comes from the model, and L from the model's
      fixed input length if it has one (otherwise N = 1); --shape overrides both.

      Examples:
        convrun model.c1d input.bin
        convrun model.c1d input.npy -o output.npy
        convrun model.c1d input.bin --shape 20,16,50 --json
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Argument(help: "The input: raw float32 (.bin or any other name) or .npy.") var input: String
  @Option(name: .shortAndLong, help: "Write the output here: .npy, or raw float32 for any other extension. With several graph outputs, each goes to NAME.<output>.EXT.")
  var output: String?
  @Option(help: "The input's shape, N,C,L or C,L (raw input only).") var shape: String?
  @Flag(help: "Print a machine-readable summary instead of the text one.") var json = false
  @Option(help: "Worker threads (default: every core).") var threads: Int?

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }

  func run() throws {
    let model = try Model(contentsOf: self.model)
    guard model.graph.inputs.count == 1 else {
      throw CLIError(description: "\(self.model) has \(model.graph.inputs.count) inputs; convrun runs single-input models")
    }
    let tensor = try InputLoader(model: model, shape: try parseShape(shape)).load(input)
    let clock = ContinuousClock()
    let start = clock.now
    let outputs = try runWithProgress(model, tensor)
    let elapsed = clock.now - start
    if let output {
      for (name, value) in outputs {
        let path = outputs.count == 1 ? output : Self.path(output, inserting: name)
        if path.lowercased().hasSuffix(".npy") { try value.writeNPY(to: path) } else { try value.writeRaw(to: path) }
        if !json { print("wrote \(name) \(value.shape) to \(path)") }
      }
    }
    let summaries = outputs.map { OutputSummary(name: $0.0, tensor: $0.1) }
    if json {
      print(OutputSummary.json(summaries, milliseconds: elapsed.milliseconds))
    } else if output == nil {
      for summary in summaries { print(summary.text) }
      print(String(format: "time: %.3f ms", elapsed.milliseconds))
    }
  }

  /// Runs in slices of the batch with a progress bar when the run is batched, long and stderr is a terminal.
  private func runWithProgress(_ model: Model, _ tensor: Tensor) throws -> [(String, Tensor)] {
    let name = model.graph.inputs[0].name
    let batch = tensor.shape.count == 3 ? tensor.shape[0] : 1
    let work = tensor.values.count
    guard batch > 1, work > 1 << 20, standardErrorIsTerminal else {
      let result = try model.run([name: tensor], threads: threads)
      return model.graph.outputs.map { ($0, result[$0]!) }
    }
    let steps = min(batch, 50)
    var pieces: [[String: Tensor]] = []
    let sample = tensor.values.count / batch
    for step in 0..<steps {
      let (lower, upper) = (step * batch / steps, (step + 1) * batch / steps)
      let slice = try Tensor(shape: [upper - lower] + tensor.shape.dropFirst(), values: Array(tensor.values[lower * sample..<upper * sample]))
      pieces.append(try model.run([name: slice], threads: threads))
      let done = (step + 1) * 30 / steps
      var progress = StandardError()
      progress.write("\r[" + String(repeating: "#", count: done) + String(repeating: " ", count: 30 - done) + "] \(upper)/\(batch)")
    }
    printError("")
    return try model.graph.outputs.map { output in
      let parts = pieces.map { $0[output]! }
      let shape = [batch] + parts[0].shape.dropFirst()
      return (output, try Tensor(shape: shape, values: parts.flatMap(\.values)))
    }
  }

  static func path(_ path: String, inserting name: String) -> String {
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "\(path).\(name)" }
    return "\(path[..<dot]).\(name)\(path[dot...])"
  }
}

extension Duration {
  var milliseconds: Double {
    Double(components.seconds) * 1e3 + Double(components.attoseconds) * 1e-15
  }
}
