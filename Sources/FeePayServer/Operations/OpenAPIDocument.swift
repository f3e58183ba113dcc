/// The OpenAPI 3.1 document (`Sources/FeePayServer/Resources/openapi.yaml`, compiled into
/// the binary) that `GET /openapi.yaml` serves and `feepay openapi` prints. CI validates it
/// with openapi-spec-validator, and a test holds it to the router's routes.
public var openAPIDocument: String { OpenAPIDocument.yaml }

enum OpenAPIDocument {
  static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
