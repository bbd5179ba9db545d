/// Every op this version reads, by name: the one list an op is added to.
enum OpRegistry {
  static let definitions: [any OpDefinition.Type] = [
    Conv1dAttributes.self, PadAttributes.self, SliceAttributes.self,
    ReLUOp.self, LeakyReLUOp.self, PReLUOp.self, ELUOp.self, GELUOp.self, SiLUOp.self, TanhOp.self, SigmoidOp.self,
    AddOp.self, MulOp.self, ConcatOp.self,
    BatchNormOp.self, GroupNormOp.self, LayerNormOp.self,
    MaxPool1dOp.self, AvgPool1dOp.self, GlobalAvgPool1dOp.self, FlattenOp.self, LinearAttributes.self,
    // Format 1.1
    SubOp.self, DivOp.self, PowOp.self, MaximumOp.self, MinimumOp.self, ConstantOp.self,
    AbsOp.self, NegOp.self, ExpOp.self, LogOp.self, SqrtOp.self, RsqrtOp.self, SquareOp.self, ReciprocalOp.self,
    SinOp.self, CosOp.self, MishOp.self, HardswishOp.self, HardsigmoidOp.self, ClampOp.self, SoftplusOp.self,
    SnakeOp.self, ReduceOp.self, SoftmaxOp.self, LogSoftmaxOp.self, GLUOp.self, InstanceNormOp.self, NarrowOp.self,
    ConcatTimeOp.self, UpsampleOp.self, AdaptiveAvgPool1dOp.self, AdaptiveMaxPool1dOp.self,
  ]

  static let byName: [String: any OpDefinition.Type] = Dictionary(
    uniqueKeysWithValues: definitions.map { ($0.name, $0) })

  static var names: [String] { definitions.map { $0.name } }

  /// Decodes a node's op from its name and attributes.
  static func decode(op name: String, attributes: FieldReader, node: String) throws -> Op {
    guard let definition = byName[name] else { throw C1DError.unknownOp(node: node, op: name) }
    return Op(try definition.init(attributes: attributes, node: node))
  }
}
