import Testing

extension Trait where Self == TimeLimitTrait {
    /// The time limit of a test that builds or boots images. Swift Testing
    /// counts a test's time from when it is scheduled, so waiting for a free
    /// worker counts too, and on a two-core machine the integration tests
    /// queue behind each other for most of the run (two tests of a few
    /// minutes each were stopped at 20 minutes). A guest that hangs is
    /// stopped by its own boot timeout long before this.
    static var integration: Self { .timeLimit(.minutes(80)) }
}
