/// The OpenAPI 3.1 document that `GET /openapi.yaml` serves and `feepay openapi` prints.
public var openAPIDocument: String { OpenAPIDocument.yaml }

enum OpenAPIDocument { static let yaml = "openapi: 3.1.0\n" }
