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
  ///
  /// A model loaded from a file reads its tensors from the file again (it keeps no copy of them).
  /// - Throws: `C1DError.sourceFileChanged` when that file was rewritten in place or truncated since the
  ///   load; reload the model.
  public func serialized(options: SaveOptions = SaveOptions()) throws -> [UInt8] {
    try fileBytes(options: options)
  }

  /// A tensor's bytes as `options` store it: a loaded tensor's stored bytes when its dtype and codec are
  /// kept (the file's very bytes: another zlib may have compressed it), else encoded from its values.
  private func storedBytes(_ name: String, options: SaveOptions) throws -> (entry: TensorEntry, bytes: [UInt8]) {
    let kept = store.stored[name]
    let dtype = options.dtype ?? kept?.entry.dtype ?? .f32
    let codec = options.codec ?? kept?.entry.codec ?? .deflate
    let shape = store.shapes[name]!
    let rawSize = shape.reduce(1, *) * dtype.size
    if let kept, kept.entry.dtype == dtype, kept.entry.codec == codec, options.level == nil || codec == .none {
      do {
        let bytes = try store.storedBytes(kept)
        let entry = TensorEntry(
          name: name, dtype: dtype, shape: shape, codec: codec, offset: 0, storedSize: bytes.count, rawSize: rawSize,
          crc32: kept.entry.crc32)
        return (entry, bytes)
      } catch C1DError.sourceFileChanged where store.keepsValues {
        // The values, decoded before the file changed, encode again; the bytes may differ from the file's.
      }
    }
    let raw = dtype.encode(try store.valuesForSaving(name))
    let (storedCodec, stored) = Self.encode(raw, dtype: dtype, codec: codec, level: options.level ?? SaveOptions.defaultLevel)
    let entry = TensorEntry(
      name: name, dtype: dtype, shape: shape, codec: storedCodec, offset: 0, storedSize: stored.count, rawSize: raw.count,
      crc32: Zlib.crc32(raw))
    return (entry, stored)
  }

  /// `raw` stored under `codec`, and the codec it is stored under: a tensor none of whose pieces deflates
  /// (float32 weights unshuffled, or every plane of one, all stored blocks) is written as `none` instead, the
  /// same bytes without block headers: used in place from the file's map, with nothing to copy, inflate or
  /// Adler-check. Byte-identical with Python's `encode_stored`.
  static func encode(_ raw: [UInt8], dtype: DType, codec: Codec, level: Int) -> (Codec, [UInt8]) {
    let compressed: (stream: [UInt8], deflatedPieces: Int)
    switch codec {
    case .none: return (.none, raw)
    case .deflate: compressed = Zlib.compressPiecesCounting(raw, pieceLength: Zlib.deflatePiece, level: level)
    case .shuffleDeflate:
      compressed = Zlib.compressPlanesCounting(Codec.shuffle(raw, elementSize: dtype.size), planeCount: dtype.size, level: level)
    }
    return compressed.deflatedPieces == 0 ? (.none, raw) : (codec, compressed.stream)
  }

  /// The file's bytes, tensors in canonical order after the header.
  func fileBytes(options: SaveOptions) throws -> [UInt8] {
    struct Blob { var entry: TensorEntry; var bytes: [UInt8] }
    var blobs: [Blob] = try canonicalTensorOrder.map { name in
      let (entry, bytes) = try storedBytes(name, options: options)
      return Blob(entry: entry, bytes: bytes)
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
  /// - Throws: `C1DError.io` for file-system errors (permissions, disk full); `C1DError.sourceFileChanged`
  ///   when a loaded model's file was rewritten in place since the load, so that the tensors it reads from
  ///   there are no longer the ones it loaded.
  public func save(to path: String, options: SaveOptions = SaveOptions()) throws {
    try FileIO.writeAtomically(fileBytes(options: options), to: path)
  }
}
