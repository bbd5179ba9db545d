/// Every op this version reads, by name: the one list an op is added to.
enum OpRegistry {
  /// Each op's name and its type, reached through a closure: a model decodes a few ops, and making the
  /// `any OpDefinition.Type` of all of them up front instantiated every op's witness table, about 0.2 ms
  /// of every process (issue 16). `entry` is specialized per op, so `name` is read directly.
  private static let entries: [(name: String, definition: @Sendable () -> any OpDefinition.Type)] = [
    entry(Conv1dAttributes.self), entry(ConvTranspose1dAttributes.self), entry(PadAttributes.self),
    entry(SliceAttributes.self),
    entry(ReLUOp.self), entry(LeakyReLUOp.self), entry(PReLUOp.self), entry(ELUOp.self), entry(GELUOp.self),
    entry(SiLUOp.self), entry(TanhOp.self), entry(SigmoidOp.self),
    entry(AddOp.self), entry(MulOp.self), entry(ConcatOp.self),
    entry(BatchNormOp.self), entry(GroupNormOp.self), entry(LayerNormOp.self),
    entry(MaxPool1dOp.self), entry(AvgPool1dOp.self), entry(GlobalAvgPool1dOp.self), entry(FlattenOp.self),
    entry(LinearAttributes.self),
    // Format 1.1
    entry(SubOp.self), entry(DivOp.self), entry(PowOp.self), entry(MaximumOp.self), entry(MinimumOp.self),
    entry(ConstantOp.self),
    entry(AbsOp.self), entry(NegOp.self), entry(ExpOp.self), entry(LogOp.self), entry(SqrtOp.self),
    entry(RsqrtOp.self), entry(SquareOp.self), entry(ReciprocalOp.self),
    entry(SinOp.self), entry(CosOp.self), entry(MishOp.self), entry(HardswishOp.self), entry(HardsigmoidOp.self),
    entry(ClampOp.self), entry(SoftplusOp.self),
    entry(SnakeOp.self), entry(ReduceOp.self), entry(SoftmaxOp.self), entry(LogSoftmaxOp.self), entry(GLUOp.self),
    entry(InstanceNormOp.self), entry(NarrowOp.self),
    entry(ConcatTimeOp.self), entry(UpsampleOp.self), entry(AdaptiveAvgPool1dOp.self), entry(AdaptiveMaxPool1dOp.self),
  ]

  static let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.definition) })

  static var definitions: [any OpDefinition.Type] { entries.map { $0.definition() } }

  @inline(__always)
  private static func entry<Definition: OpDefinition>(_ type: Definition.Type) -> (name: String, definition: @Sendable () -> any OpDefinition.Type) {
    (Definition.name, { Definition.self })
  }

  static var names: [String] { entries.map(\.name) }

  /// Decodes a node's op from its name and attributes.
  static func decode(op name: String, attributes: FieldReader, node: String) throws -> Op {
    guard let definition = byName[name]?() else { throw C1DError.unknownOp(node: node, op: name) }
    return Op(try definition.init(attributes: attributes, node: node))
  }
}
