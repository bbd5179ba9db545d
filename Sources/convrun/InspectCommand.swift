import ArgumentParser
import C1D
import Foundation

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show a model's metadata and a table of its nodes.",
    discussion: """
      For each node: op, hyperparameters, tensor dtype and codec, parameter count, and, for an input
      length (--length, or the model's fixed length), the output shape and FLOPs per sample.

      Example:
        convrun inspect model.c1d --length 16000
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(help: "Input length for output shapes and FLOPs.") var length: Int?

  func run() throws {
    let model = try Model(contentsOf: self.model)
    print("model: \(self.model)")
    for key in model.metadata.entries.keys.sorted() {
      print("  \(key): \(describe(model.metadata.entries[key]!))")
    }
    for input in model.graph.inputs {
      var line = "  input '\(input.name)': \(input.channels) channels"
      if let length = input.length { line += ", length \(length)" }
      if let rate = input.sampleRate { line += ", \(rate) Hz" }
      print(line)
    }
    print("  outputs: \(model.graph.outputs.joined(separator: ", "))")
    let length = self.length ?? model.graph.inputs[0].length
    let shapes = try length.map { try model.shapes(forInputLength: $0) }
    let flops = try shapes.map { try model.flops(shapes: $0) }

    var rows = [["node", "op", "hyperparameters", "storage", "params", "output", "FLOPs"]]
    var totalParameters = 0
    var stored = 0
    var raw = 0
    for node in model.graph.nodes {
      let tensors = node.parameters.values.sorted()
      let parameters = tensors.reduce(0) { $0 + (model.weights[$1]?.values.count ?? 0) }
      totalParameters += parameters
      let storage = Set(tensors.compactMap { model.storage(of: $0) }.map { "\($0.dtype.rawValue)/\($0.codec.rawValue)" })
      for tensor in tensors {
        if let s = model.storage(of: tensor) {
          stored += s.storedBytes
          raw += s.rawBytes
        }
      }
      rows.append([
        node.name, node.op.name, node.op.summary, storage.sorted().joined(separator: ","),
        parameters == 0 ? "" : "\(parameters)",
        shapes.map { "\($0[node.outputs[0]]!.dimensions)" } ?? "",
        flops.map { formatCount($0[node.name]!) } ?? "",
      ])
    }
    print()
    printTable(rows)
    print()
    print("parameters: \(totalParameters)")
    if raw > 0 {
      print("tensor bytes: \(stored) stored, \(raw) raw (\(String(format: "%.1f", 100 * Double(stored) / Double(raw)))%)")
    }
    if let flops, let length {
      print("FLOPs per sample at length \(length): \(formatCount(flops.values.reduce(0, +)))")
    } else {
      print("(pass --length L for output shapes and FLOPs)")
    }
  }

  private func describe(_ value: MetadataValue) -> String {
    switch value {
    case .string(let s): "\"\(s)\""
    case .int(let i): "\(i)"
    case .float(let d): "\(d)"
    case .bool(let b): "\(b)"
    }
  }


}

func formatCount(_ count: Int) -> String {
  switch count {
  case 1_000_000_000...: String(format: "%.2fG", Double(count) / 1e9)
  case 1_000_000...: String(format: "%.2fM", Double(count) / 1e6)
  case 10_000...: String(format: "%.1fK", Double(count) / 1e3)
  default: "\(count)"
  }
}

func printTable(_ rows: [[String]]) {
  let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max()! }
  for (index, row) in rows.enumerated() {
    print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    if index == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
  }
}
