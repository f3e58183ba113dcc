import ServiceLifecycle

/// Runs `work` now and then again every `interval`, until the service group shuts down
/// (gracefully: the work under way finishes, the wait does not).
func repeatEvery(_ interval: Duration, _ work: () async -> Void) async {
  while !Task.isCancelled && !Task.isShuttingDownGracefully {
    await work()
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
  }
}
