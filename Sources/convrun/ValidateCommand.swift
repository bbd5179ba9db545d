import ArgumentParser
import C1D

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a model file; exit 0 if valid, 1 listing every problem found.",
    discussion: """
      Checks the container (magic, version, checksums, sizes, extents), every tensor's data, the graph \
      (ops, hyperparameters, parameter shapes, channels along edges), and with --length (or the model's \
      fixed length) every node's output shape.

      Example:
        convrun validate model.c1d --length 50
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(parsing: .unconditional, help: "Also check every node's output shape for this input length.") var length: Int?
  @Flag(help: "Print {\"model\", \"valid\", \"problems\": [...]} as JSON on stdout (exit status as without).") var json = false

  func validate() throws {
    if let length, length < 1 { throw ValidationError("--length must be at least 1, got \(length)") }
  }

  func run() throws {
    try ModelFile.checkPath(model)
    let problems = Model.problems(inFileAt: model, length: length)
    if json {
      let list = problems.map { quote("\($0)") }.joined(separator: ",")
      print("{\"model\":\(quote(model)),\"valid\":\(problems.isEmpty),\"problems\":[\(list)]}")
      if !problems.isEmpty { throw ExitCode(1) }
      return
    }
    guard problems.isEmpty else {
      for problem in problems { printError("\(model): \(problem)") }
      throw CLIError(description: "\(problems.count) problem\(problems.count == 1 ? "" : "s") found in \(model)")
    }
    print("\(model): valid")
  }
}
