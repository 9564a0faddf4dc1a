namespace Vers.Testing;

/// <summary>
/// One <see cref="TestStack"/> shared by the tests of a class (which run one after another; each uses names of its
/// own). A test project derives one per way of starting it.
/// </summary>
public abstract class SharedStack : IAsyncLifetime
{
    private TestStack? _stack;

    public TestStack Host => _stack ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _stack = await StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected abstract Task<TestStack> StartAsync();
}
