namespace Vers.Testing;

/// <summary>Polls observable state until a condition holds or the deadline passes (never a blind sleep).</summary>
public static class Eventually
{
    public static async Task ReachAsync(Func<Task<bool>> condition, CancellationToken ct, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(10);
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not reached within {limit}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }
    }

    /// <summary>The same, cancelled with the running test.</summary>
    public static Task ReachAsync(Func<Task<bool>> condition, TimeSpan within) => ReachAsync(condition, TestContext.Current.CancellationToken, within);
}
