import CC1DKernels
import Foundation
import Testing

@testable import C1D

/// One case of the conformance grid written by tools/gen_fixtures.py.
struct ConformanceCase: Decodable, Sendable, CustomTestStringConvertible {
  var name: String
  var in_channels: Int
  var out_channels: Int
  var kernel_size: Int
  var stride: Int
  var padding: PaddingValue
  var dilation: Int
  var groups: Int
  var bias: Bool
  var padding_mode: String
  var batched: Bool
  var length: Int
  var error: String?
  var stage: String?
  var input_shape: [Int]?
  var input_offset: Int?
  var output_shape: [Int]?
  var output_offset: Int?

  enum PaddingValue: Decodable, Sendable {
    case int(Int), text(String)
    init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let i = try? container.decode(Int.self) { self = .int(i) } else { self = .text(try container.decode(String.self)) }
    }
  }

  var testDescription: String {
    "\(name) k\(kernel_size) s\(stride) p\(padding) d\(dilation) g\(groups) bias \(bias) \(padding_mode) L\(length)\(batched ? " batched" : "")"
  }

  var attributes: Conv1dAttributes {
    let p: Padding =
      switch padding {
      case .int(let i): .explicit(i)
      case .text("same"): .same
      case .text: .valid
      }
    return Conv1dAttributes(
      inChannels: in_channels, outChannels: out_channels, kernelSize: kernel_size, stride: stride, padding: p,
      dilation: dilation, groups: groups, bias: bias, paddingMode: PaddingMode(rawValue: padding_mode)!)
  }

  static let all: [ConformanceCase] = {
    struct File: Decodable { var cases: [ConformanceCase] }
    let data = FileManager.default.contents(atPath: Fixtures.path("conformance/cases.json")) ?? Data()
    return (try? JSONDecoder().decode(File.self, from: data).cases) ?? []
  }()

  static let data: [Float] = {
    let bytes = [UInt8](FileManager.default.contents(atPath: Fixtures.path("conformance/data.bin")) ?? Data())
    return DType.f32.decode(bytes)
  }()

  func tensor(shape: [Int], offset: Int) -> Tensor {
    let start = offset / 4
    return Tensor(uncheckedShape: shape, values: Array(Self.data[start..<start + shape.reduce(1, *)]))
  }
}

@Suite("Conformance grid against PyTorch")
struct ConformanceTests {
  static let legal = ConformanceCase.all.filter { $0.error == nil }
  static let illegal = ConformanceCase.all.filter { $0.error != nil }

  @Test("the grid covers every value of every axis, legal and illegal")
  func coverage() {
    let cases = ConformanceCase.all
    #expect(cases.count >= 600)
    #expect(Set(cases.map(\.kernel_size)) == [1, 2, 3, 4, 7])
    #expect(Set(cases.map(\.stride)) == [1, 2, 3])
    #expect(Set(cases.map(\.dilation)) == [1, 2, 3])
    #expect(Set(cases.map(\.padding_mode)) == ["zeros", "reflect", "replicate", "circular"])
    #expect(Set(Self.legal.map(\.padding_mode)) == ["zeros", "reflect", "replicate", "circular"])
    #expect(Set(Self.legal.map { "\($0.padding)" }).count == 5)
    #expect(Set(Self.legal.map(\.batched)) == [true, false])
    #expect(Self.legal.contains { $0.groups == $0.in_channels && $0.out_channels == 2 * $0.in_channels })
    #expect(Self.illegal.count >= 100)
  }

  @Test("legal cases match PyTorch at every ISA", arguments: legal)
  func legalCase(_ c: ConformanceCase) throws {
    let model = try Model(contentsOf: Fixtures.path("conformance/\(c.name).c1d"))
    let input = c.tensor(shape: c.input_shape!, offset: c.input_offset!)
    let expected = c.tensor(shape: c.output_shape!, offset: c.output_offset!)
    for kernels in KernelConfig.supported {
      let output = try model.run(["input": input], threads: 2, kernels: kernels)[model.graph.outputs[0]]!
      #expect(output.shape == expected.shape)
      #expect(relativeError(output, expected) <= tolerance, "ISA \(kernels.name)")
    }
  }

  @Test("illegal cases are rejected for PyTorch's reason", arguments: illegal)
  func illegalCase(_ c: ConformanceCase) throws {
    let expectedMessage = c.error!
    var rng = SeededGenerator(seed: 1)
    do {
      let a = c.attributes
      let layer = try Conv1d(
        inChannels: a.inChannels, outChannels: a.outChannels, kernelSize: a.kernelSize, stride: a.stride,
        padding: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias, paddingMode: a.paddingMode, using: &rng)
      #expect(c.stage == "run", "PyTorch refused to construct this layer, c1d did not")
      var builder = ModelBuilder(channels: a.inChannels)
      let y = builder.conv1d(layer, builder.input)
      let model = try builder.build(outputs: [y])
      let shape = c.batched ? [2, a.inChannels, c.length] : [a.inChannels, c.length]
      _ = try model(Tensor(shape: shape))
      Issue.record("expected an error: \(expectedMessage)")
    } catch let error as C1DError {
      // PyTorch's words, then (for a too-short input) the model's minimum length.
      #expect(error.description.contains(": " + expectedMessage), "c1d: \(error)\ntorch: \(expectedMessage)")
    }
  }
}
