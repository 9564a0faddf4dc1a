using System.Text;
using Vers.Common;

namespace Vers.Kube.Tests;

/// <summary>Equal values become one instance; a value in use stays shared while many others pass through the table.</summary>
[Collection(Table)]
public sealed class SharedStringsTests
{
    /// <summary>Tests that read the process's table (one clears it) run one at a time.</summary>
    public const string Table = "shared string table";

    [Fact]
    public void Equal_values_from_strings_and_from_bytes_are_one_instance()
    {
        var value = $"kubevirt.io/{Guid.NewGuid():N}";
        var first = SharedStrings.Share(new string(value.AsSpan()));

        Assert.Same(first, SharedStrings.Share(new string(value.AsSpan())));
        Assert.Same(first, SharedStrings.Share(Encoding.ASCII.GetBytes(value)));
    }

    [Fact]
    public void After_clearing_a_value_is_shared_again_from_its_next_reading()
    {
        var value = $"kubevirt.io/{Guid.NewGuid():N}";
        var before = SharedStrings.Share(new string(value.AsSpan()));

        KubeJson.ForgetSharedStrings();
        var after = SharedStrings.Share(new string(value.AsSpan()));

        Assert.NotSame(before, after);
        Assert.Same(after, SharedStrings.Share(Encoding.ASCII.GetBytes(value)));
    }

    [Fact]
    public void Long_and_non_ASCII_values_pass_through_unshared()
    {
        var longValue = new string('a', SharedStrings.MaxLength + 1);
        var nonAscii = "naïve";

        Assert.Same(longValue, SharedStrings.Share(longValue));
        Assert.Equal(nonAscii, SharedStrings.Share(Encoding.UTF8.GetBytes(nonAscii)));
    }

    [Fact]
    public void A_value_used_between_millions_of_others_is_almost_always_still_shared_the_next_time()
    {
        var frequent = SharedStrings.Share($"snapshot.kubevirt.io/{Guid.NewGuid():N}");
        var same = 0;
        const int Rounds = 300;
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < 10_000; i++)
            {
                SharedStrings.Share(Guid.NewGuid().ToString());
            }

            var now = SharedStrings.Share(new string(frequent.AsSpan()));
            same += ReferenceEquals(frequent, now) ? 1 : 0;
            frequent = now;
        }

        // Each round puts 10,000 values into 16,384 sets of 4: the value, used once a round, leaves only when four
        // newcomers reach its set in one round (~0.3 % of rounds). With 65,536 slots of one value each it left whenever
        // one newcomer reached its slot (~14 % of rounds).
        Assert.True(same > Rounds * 92 / 100, $"{same} of {Rounds}");
    }
}
