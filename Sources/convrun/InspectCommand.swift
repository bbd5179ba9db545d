import ArgumentParser
import C1D
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show a model's metadata and a table of its nodes.",
    discussion: """
      For each node: op, hyperparameters, tensor dtype and codec, parameter count, and, for an input \
      length (--length, or the model's fixed length), the output shape and FLOPs per sample.

      Example:
        convrun inspect model.c1d --length 16000
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Option(parsing: .unconditional, help: "Input length for output shapes and FLOPs.") var length: Int?
  @Flag(help: "Print everything as one JSON object.") var json = false

  func validate() throws {
    if let length, length < 1 { throw ValidationError("--length must be at least 1, got \(length)") }
  }

  /// One node's row: what the table and the JSON show.
  struct NodeReport {
    var name, op, hyperparameters: String
    var inputs: [String]
    var storage: [String]
    var parameters: Int
    var outputShape: [Int]?
    var flops: Int?
  }

  func run() throws {
    let model = try ModelFile.load(self.model)
    let length = self.length ?? model.graph.inputs[0].length
    let shapes = try length.map { try model.shapes(forInputLength: $0) }
    let flops = try shapes.map { try model.flops(shapes: $0) }
    let nodes = model.graph.nodes.map { node in
      let tensors = node.parameters.values.sorted()
      return NodeReport(
        name: node.name, op: node.op.name, hyperparameters: node.op.summary, inputs: node.inputs,
        storage: Set(tensors.compactMap { model.storage(of: $0) }.map { "\($0.dtype.rawValue)/\($0.codec.rawValue)" }).sorted(),
        parameters: tensors.reduce(0) { $0 + (model.weightShapes[$1]?.reduce(1, *) ?? 0) },
        outputShape: shapes?[node.outputs[0]]?.dimensions, flops: flops?[node.name])
    }
    let tensorNames = Set(model.graph.nodes.flatMap { $0.parameters.values })
    let storages = tensorNames.compactMap { model.storage(of: $0) }
    let (stored, raw) = (storages.reduce(0) { $0 + $1.storedBytes }, storages.reduce(0) { $0 + $1.rawBytes })
    if json {
      print(jsonReport(model, nodes: nodes, length: length, stored: stored, raw: raw))
    } else {
      printText(model, nodes: nodes, length: length, stored: stored, raw: raw)
    }
  }

  private func printText(_ model: Model, nodes: [NodeReport], length: Int?, stored: Int, raw: Int) {
    print("model: \(self.model)")
    for key in model.metadata.entries.keys.sorted() {
      if let value = model.metadata.entries[key] { print("  \(key): \(describe(value))") }
    }
    for input in model.graph.inputs {
      var line = "  input '\(input.name)': \(plural(input.channels, "channel"))"
      if let length = input.length { line += ", length \(length)" }
      if let rate = input.sampleRate { line += ", \(formatRate(rate)) Hz" }
      print(line)
    }
    print("  outputs: \(model.graph.outputs.joined(separator: ", "))")
    var rows = [["node", "op", "inputs", "hyperparameters", "storage", "params", "output", "FLOPs"]]
    for node in nodes {
      rows.append([
        node.name, node.op, node.inputs.joined(separator: ", "), node.hyperparameters, node.storage.joined(separator: ","),
        node.parameters == 0 ? "" : "\(node.parameters)", node.outputShape.map { "\($0)" } ?? "",
        node.flops.map(formatCount) ?? "",
      ])
    }
    print()
    printTable(rows)
    print()
    print("parameters: \(nodes.reduce(0) { $0 + $1.parameters })")
    if raw > 0 {
      print("tensor bytes: \(stored) stored, \(raw) raw (\(NumberText.fixed(100 * Double(stored) / Double(raw), places: 1))%)")
    }
    if let length, nodes.allSatisfy({ $0.flops != nil }) {
      print("FLOPs per sample at length \(length): \(formatCount(nodes.reduce(0) { $0 + ($1.flops ?? 0) }))")
    } else {
      print("(pass --length L for output shapes and FLOPs)")
    }
  }

  private func jsonReport(_ model: Model, nodes: [NodeReport], length: Int?, stored: Int, raw: Int) -> String {
    func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
    let metadata = model.metadata.entries.keys.sorted().compactMap { key in
      model.metadata.entries[key].map { "\(quote(key)):\(jsonValue($0))" }
    }
    let inputs = model.graph.inputs.map { input in
      "{\"name\":\(quote(input.name)),\"channels\":\(input.channels),\"length\":\(input.length.map(String.init) ?? "null"),"
        + "\"sample_rate\":\(input.sampleRate.map { "\($0)" } ?? "null")}"
    }
    let nodeObjects = nodes.map { node in
      "{\"name\":\(quote(node.name)),\"op\":\(quote(node.op)),\"inputs\":\(list(node.inputs.map(quote))),"
        + "\"hyperparameters\":\(quote(node.hyperparameters)),\"storage\":\(list(node.storage.map(quote))),"
        + "\"parameters\":\(node.parameters),\"output_shape\":\(node.outputShape.map { list($0.map(String.init)) } ?? "null"),"
        + "\"flops\":\(node.flops.map(String.init) ?? "null")}"
    }
    return "{\"model\":\(quote(self.model)),\"metadata\":{\(metadata.joined(separator: ","))},\"inputs\":\(list(inputs)),"
      + "\"outputs\":\(list(model.graph.outputs.map(quote))),\"length\":\(length.map(String.init) ?? "null"),"
      + "\"nodes\":\(list(nodeObjects)),\"parameters\":\(nodes.reduce(0) { $0 + $1.parameters }),"
      + "\"stored_bytes\":\(stored),\"raw_bytes\":\(raw),"
      + "\"flops\":\(nodes.allSatisfy { $0.flops != nil } && length != nil ? "\(nodes.reduce(0) { $0 + ($1.flops ?? 0) })" : "null")}"
  }

  private func jsonValue(_ value: MetadataValue) -> String {
    switch value {
    case .string(let s): quote(s)
    case .int(let i): "\(i)"
    case .float(let d): d.isFinite ? "\(d)" : "null"
    case .bool(let b): "\(b)"
    }
  }

  private func formatRate(_ rate: Double) -> String { rate.rounded() == rate && abs(rate) < 1e15 ? "\(Int(rate))" : "\(rate)" }

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
  case 1_000_000_000...: NumberText.fixed(Double(count) / 1e9, places: 2) + "G"
  case 1_000_000...: NumberText.fixed(Double(count) / 1e6, places: 2) + "M"
  case 10_000...: NumberText.fixed(Double(count) / 1e3, places: 1) + "K"
  default: "\(count)"
  }
}

func printTable(_ rows: [[String]]) {
  guard let header = rows.first else { return }
  let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
  for (index, row) in rows.enumerated() {
    print(row.enumerated().map { $1.padded(to: widths[$0]) }.joined(separator: "  "))
    if index == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
  }
}
