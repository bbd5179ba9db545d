/// CRC-32 as the format uses it (ISO-HDLC: zlib's, PNG's), for tools that build or repair files.
enum CRC32 {
  static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    Zlib.crc32(Array(bytes))
  }
}
