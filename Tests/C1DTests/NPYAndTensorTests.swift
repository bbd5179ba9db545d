import Foundation
import Testing

@testable import C1D

/// A version 1.0 `.npy` file with any descr, for the dtype tests.
func npyFile(descr: String, shape: [Int], data: [UInt8]) -> [UInt8] {
  let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
  return npyFile(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }", data: data)
}

/// A `.npy` file of `version` (1, 2 or 3) with any header dictionary text.
func npyFile(header dictionary: String, version: UInt8 = 1, data: [UInt8]) -> [UInt8] {
  let prefix = version == 1 ? 10 : 12
  let header = dictionary + String(repeating: " ", count: (64 - (prefix + dictionary.utf8.count + 1) % 64) % 64) + "\n"
  let length = header.utf8.count
  let lengthBytes = (0..<(version == 1 ? 2 : 4)).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
  return [0x93] + Array("NUMPY".utf8) + [version, 0] + lengthBytes + Array(header.utf8) + data
}

@Suite(".npy dtypes and Tensor conveniences")
struct NPYAndTensorTests {
  @Test("float64 .npy (numpy's default) is read and rounded to float32")
  func float64IsConverted() throws {
    let values: [Double] = [0.1, -2.5, 1e-40, 3.0000001]
    let data = values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt64($0))) } }
    let tensor = try NPY.decode(npyFile(descr: "<f8", shape: [1, 2, 2], data: data))
    #expect(tensor.shape == [1, 2, 2])
    #expect(tensor.values == values.map { Float($0) })
  }

  @Test("float16 .npy, either byte order, is read exactly")
  func float16IsConverted() throws {
    let values: [Float16] = [0.5, -1.25, 65504, 0.000061035156]
    let little = values.flatMap { [UInt8($0.bitPattern & 0xFF), UInt8($0.bitPattern >> 8)] }
    let big = values.flatMap { [UInt8($0.bitPattern >> 8), UInt8($0.bitPattern & 0xFF)] }
    #expect(try NPY.decode(npyFile(descr: "<f2", shape: [2, 2], data: little)).values == values.map { Float($0) })
    #expect(try NPY.decode(npyFile(descr: ">f2", shape: [2, 2], data: big)).values == values.map { Float($0) })
  }

  @Test("integer, boolean and complex arrays are refused, saying what to do", arguments: ["<i2", "<i8", "|u1", "|b1", "<c8", "|S4"])
  func otherDTypesAreRefusedWithAHint(descr: String) throws {
    let file = npyFile(descr: descr, shape: [4], data: [UInt8](repeating: 0, count: 64))
    #expect {
      try NPY.decode(file, name: "x.npy")
    } throws: { error in
      let message = "\(error)"
      return message.contains("x.npy") && message.contains(descr) && message.hasSuffix("np.save(path, x.astype(np.float32))")
    }
  }

  @Test("header dictionaries laid out as numpy and other writers lay them out", arguments: [
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1, [2, 3]),
    ("{'shape': (6,), 'fortran_order': False, 'descr': '<f4'}", 2, [6]),
    ("{'descr':'<f4','fortran_order':False,'shape':(1,2,3)}", 3, [1, 2, 3]),
    ("{'descr': \"<f4\" , 'fortran_order':   False  , 'shape': (  3 ,  2 ) }", 1, [3, 2]),
    ("{'descr': 'float32', 'fortran_order': False, 'shape': (), }", 1, []),
  ])
  func headerLayouts(dictionary: String, version: UInt8, shape: [Int]) throws {
    let values = (0..<shape.reduce(1, *)).map { Float($0) - 1.5 }
    let tensor = try NPY.decode(npyFile(header: dictionary, version: version, data: DType.f32.encode(values)))
    #expect(tensor.shape == shape)
    #expect(tensor.values == values)
  }

  @Test("headers that do not describe a C-order float array are refused, naming what is wrong", arguments: [
    ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "Fortran order"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "bad shape (2, -3)"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "bad shape (2, x)"),
    ("{'descr': '<f4', 'fortran_order': False, }", "no shape"),
    ("{'fortran_order': False, 'shape': (6,), }", "no dtype ('descr')"),
    ("{'descr': '<f4', 'shape': (6,), }", "Fortran order"),
  ])
  func malformedHeaders(dictionary: String, complaint: String) throws {
    let file = npyFile(header: dictionary, data: [UInt8](repeating: 0, count: 24))
    #expect {
      try NPY.decode(file, name: "x.npy")
    } throws: { error in
      "\(error)".contains("x.npy") && "\(error)".contains(complaint)
    }
  }

  @Test("a little-endian float32 file is read straight into the tensor; every other file is left to decode", arguments: [
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, true),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 24, true),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, false),  // short of data
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 28, false),  // bytes past the data
    ("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, false),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 24, false),
    ("{'descr': '<f2', 'fortran_order': False, 'shape': (12,), }", 24, false),
    ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, false),
  ])
  func readFloat32(dictionary: String, dataBytes: Int, direct: Bool) throws {
    let data = (0..<dataBytes).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    let file = npyFile(header: dictionary, data: data)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("direct-\(UUID().uuidString).npy").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(file))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let read = NPY.readFloat32(path: path, name: "x.npy")
    #expect((read != nil) == direct)
    if let read { #expect(read == (try NPY.decode(file, name: "x.npy"))) }
  }

  @Test("no direct read of what is not a regular .npy file: missing, a directory, another format, empty")
  func readFloat32Refuses() throws {
    let directory = FileManager.default.temporaryDirectory.path
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("raw-\(UUID().uuidString).npy").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(NPY.readFloat32(path: path) == nil)
    #expect(NPY.readFloat32(path: directory) == nil)
    for contents in [[UInt8](), Array("RIFF....WAVEfmt ".utf8) + [UInt8](repeating: 0, count: 64)] {
      _ = FileManager.default.createFile(atPath: path, contents: Data(contents))
      #expect(NPY.readFloat32(path: path) == nil)
    }
  }

  @Test("written headers are numpy's, byte for byte", arguments: [[5], [2, 3], [4, 1, 7], []])
  func writtenHeader(shape: [Int]) throws {
    // What `np.save` writes for a float32 array of this shape (format 1.0): the same helper builds it.
    let expected = npyFile(descr: "<f4", shape: shape, data: [])
    #expect(NPY.header(shape: shape) == expected)
  }

  @Test("Tensor from [Double], and a subscript by full index")
  func tensorConveniences() throws {
    var tensor = try Tensor(shape: [2, 3], values: [1.5, 2, 3, 4, 5, 6] as [Double])
    #expect(tensor[1, 2] == 6 && tensor[0, 0] == 1.5)
    tensor[0, 1] = -1
    #expect(tensor.values == [1.5, -1, 3, 4, 5, 6])
    #expect(throws: C1DError.self) { try Tensor(shape: [4], values: [1.0, 2.0] as [Double]) }
  }
}
