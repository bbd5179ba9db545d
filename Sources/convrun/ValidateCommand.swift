import ArgumentParser
import C1D

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a model file; exit 0 if valid, 1 listing every problem found.",
    discussion: """
      Checks the container (magic, version, checksums, sizes, extents), every tensor's data, the graph
      (ops, hyperparameters, parameter shapes, channels along edges), and with --length (or the model's
      fixed length) every node's output shape.

      Example:
        convrun validate model.c1d --length 50
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(help: "Also check every node's output shape for this input length.") var length: Int?

  func run() throws {
    let problems = Model.problems(inFileAt: model, length: length)
    guard problems.isEmpty else {
      for problem in problems { printError("\(model): \(problem)") }
      throw CLIError(description: "\(problems.count) problem\(problems.count == 1 ? "" : "s") found in \(model)")
    }
    print("\(model): valid")
  }
}
