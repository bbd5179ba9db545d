/// How `Model.save` encodes tensors.
public struct SaveOptions: Sendable, Hashable {
  /// Storage dtype for every tensor; nil keeps each tensor's dtype from the file it came from (f32 if none).
  public var dtype: DType?
  /// Codec for every tensor; nil keeps each tensor's codec from the file it came from (deflate if none).
  public var codec: Codec?
  /// zlib compression level, 0–9; nil re-uses the stored bytes of tensors whose dtype and codec are
  /// unchanged, and compresses the rest at level 6.
  public var level: Int?

  public init(dtype: DType? = nil, codec: Codec? = nil, level: Int? = nil) {
    self.dtype = dtype
    self.codec = codec
    self.level = level.map { min(max($0, 0), 9) }
  }

  static let defaultLevel = 6
}

extension Model {
  /// The tensors in canonical file order: first reference in node order, a node's parameters by role name.
  var canonicalTensorOrder: [String] {
    var seen = Set<String>()
    var order: [String] = []
    for node in graph.nodes {
      for role in node.parameters.keys.sorted() {
        let name = node.parameters[role]!
        if seen.insert(name).inserted { order.append(name) }
      }
    }
    return order
  }

  /// The bytes of this model as a `.c1d` file. The same model and options always give the same bytes.
  public func serialized(options: SaveOptions = SaveOptions()) -> [UInt8] {
    struct Blob { var entry: TensorEntry; var bytes: [UInt8] }
    var blobs: [Blob] = canonicalTensorOrder.map { name in
      let tensor = weights[name]!
      let kept = storedEncodings[name]
      let dtype = options.dtype ?? kept?.dtype ?? .f32
      let codec = options.codec ?? kept?.codec ?? .deflate
      let raw = dtype.encode(tensor.values)
      let stored: [UInt8]
      let level = options.level ?? SaveOptions.defaultLevel
      if let kept, let bytes = kept.bytes, kept.dtype == dtype, kept.codec == codec, options.level == nil || codec == .none {
        stored = bytes
      } else {
        switch codec {
        case .none: stored = raw
        case .deflate: stored = Zlib.compress(raw, level: level)
        case .shuffleDeflate: stored = Zlib.compress(Codec.shuffle(raw, elementSize: dtype.size), level: level)
        }
      }
      let entry = TensorEntry(
        name: name, dtype: dtype, shape: tensor.shape, codec: codec, offset: 0, storedSize: stored.count,
        rawSize: raw.count, crc32: Zlib.crc32(raw))
      return Blob(entry: entry, bytes: stored)
    }

    // Offsets depend on the header's length, which depends on the offsets' digits: iterate from
    // below to the least data start that fits (the length never shrinks as offsets grow).
    var dataStart = 0
    var headerBytes: [UInt8] = []
    while true {
      var offset = dataStart
      for index in blobs.indices {
        blobs[index].entry.offset = offset
        offset = FileLayout.aligned(offset + blobs[index].bytes.count)
      }
      let header = Header(metadata: metadata, graph: graph, tensors: blobs.map(\.entry))
      headerBytes = JSONValue.canonicalBytes(header.json())
      let needed = FileLayout.aligned(FileLayout.preambleSize + headerBytes.count)
      if needed <= dataStart { break }
      dataStart = needed
    }

    var file = FileLayout.magic
    func append(_ value: UInt64, size: Int) {
      for byte in 0..<size { file.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
    }
    append(UInt64(FileLayout.majorVersion), size: 2)
    append(UInt64(graph.nodes.map { type(of: $0.op.definition).minorVersion }.max() ?? 0), size: 2)
    append(0, size: 4)
    append(UInt64(headerBytes.count), size: 8)
    append(UInt64(Zlib.crc32(headerBytes)), size: 4)
    append(UInt64(Zlib.crc32(file)), size: 4)
    file += headerBytes
    for blob in blobs {
      file += [UInt8](repeating: 0, count: blob.entry.offset - file.count)
      file += blob.bytes
    }
    return file
  }

  /// Writes the model to `path` atomically: an existing file is replaced only once the new one is
  /// complete on disk, and is left untouched if anything fails.
  /// - Throws: `C1DError.io` for file-system errors (permissions, disk full).
  public func save(to path: String, options: SaveOptions = SaveOptions()) throws {
    try FileIO.writeAtomically(serialized(options: options), to: path)
  }
}
