extension Tensor {
  /// A tensor from values of any floating-point type (e.g. `[Double]`), converted to float32 as
  /// `x.astype(np.float32)` converts.
  /// - Throws: `C1DError.invalidInput` when `values.count` is not the product of `shape`.
  public init<Values: Collection>(shape: [Int], values: Values) throws where Values.Element: BinaryFloatingPoint {
    try self.init(shape: shape, values: values.map { Float($0) })
  }

  /// The element at a full index, e.g. `y[0, 3, 10]` for an `(N, C, L)` tensor.
  ///
  /// Like an array's subscript, an index out of range is a programming error and stops the program;
  /// the message names the index and the shape.
  public subscript(_ index: Int...) -> Float {
    get { values[flatIndex(index)] }
    set { values[flatIndex(index)] = newValue }
  }

  private func flatIndex(_ index: [Int]) -> Int {
    precondition(index.count == shape.count, "index \(index) has \(index.count) dimensions, the tensor's shape \(shape) has \(shape.count)")
    var flat = 0
    for (position, extent) in zip(index, shape) {
      precondition((0..<extent).contains(position), "index \(index) is out of range for shape \(shape)")
      flat = flat * extent + position
    }
    return flat
  }
}
