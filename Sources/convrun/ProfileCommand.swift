import ArgumentParser
import C1D

struct ProfileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "profile",
    abstract: "Time each step of a model's plan on a random input: where the time goes.",
    discussion: """
      One row per step of the plan (fused steps list every node they compute), best of --runs runs, \
      with its FLOPs and GFLOP/s, slowest first.

      Example:
        convrun profile model.c1d --length 16000 --batch 8 --threads 1
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(parsing: .unconditional, help: "Input length (default: the model's fixed length).") var length: Int?
  @Option(parsing: .unconditional, help: "Batch size.") var batch = 1
  @Option(parsing: .unconditional, help: "Runs; each step keeps its best.") var runs = 3
  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    if let length, length < 1 { throw ValidationError("--length must be at least 1, got \(length)") }
    if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
    if runs < 1 { throw ValidationError("--runs must be at least 1, got \(runs)") }
  }

  func run() throws {
    let model = try ModelFile.load(self.model, threads: runtime.threads)
    let input = model.graph.inputs[0]
    guard let length = length ?? input.length else {
      throw CLIError(description: "the model has no fixed input length: pass --length", exitCode: 2)
    }
    try runtime.checkMemory(model, length: length, batch: batch, tiling: false)
    var rng = SystemRandomNumberGenerator()
    let values = (0..<batch * input.channels * length).map { _ in Float.random(in: -1...1, using: &rng) }
    let timings = try model.profile(
      Tensor(shape: [batch, input.channels, length], values: values), threads: runtime.threads, runs: runs)
    let total = timings.reduce(0) { $0 + $1.milliseconds }
    var rows = [["step", "op", "nodes", "ms", "%", "FLOPs", "GFLOP/s"]]
    for t in timings.sorted(by: { $0.milliseconds > $1.milliseconds }) {
      rows.append([
        t.node, t.op, Self.fused(t.nodes),
        NumberText.fixed(t.milliseconds, places: 3), NumberText.fixed(100 * t.milliseconds / max(total, 1e-9), places: 1),
        formatCount(t.flops), t.flops == 0 ? "" : NumberText.fixed(Double(t.flops) / (t.milliseconds * 1e6), places: 1),
      ])
    }
    print("\(self.model): batch \(batch), length \(length), threads \(runtime.threads ?? Model.defaultThreads), best of \(runs)")
    printTable(rows)
    print("total \(NumberText.fixed(total, places: 3)) ms over \(timings.count) step\(timings.count == 1 ? "" : "s")")
  }

  /// The nodes a fused step computes, at most four named.
  static func fused(_ nodes: [String]) -> String {
    guard nodes.count > 1 else { return "" }
    return nodes.prefix(4).joined(separator: "+") + (nodes.count > 4 ? " +\(nodes.count - 4) more" : "")
  }
}
