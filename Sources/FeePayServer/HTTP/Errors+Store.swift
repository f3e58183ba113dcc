import FeePayStore

/// The store's translation of database errors, reached from the HTTP layer.
enum FeePayStoreErrors {
  static func translate(_ error: any Error) -> any Error { Database.translate(error) }
}
