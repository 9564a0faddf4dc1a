namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>The simulator's memory of objects in flight: a step's clock starts once, a fault is decided once, forgetting drops both.</summary>
public sealed class InFlightObjectsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_step_keeps_the_time_it_was_first_asked_for()
    {
        var inFlight = new InFlightObjects();

        Assert.Equal(T0, inFlight.StepStarted("uid-1", "bind", T0));
        Assert.Equal(T0, inFlight.StepStarted("uid-1", "bind", T0.AddSeconds(5)));
        Assert.Equal(T0.AddSeconds(5), inFlight.StepStarted("uid-1", "populate", T0.AddSeconds(5)));
    }

    [Fact]
    public void A_fault_is_decided_once_per_object_and_kind_even_when_asked_at_once()
    {
        var inFlight = new InFlightObjects();
        var decisions = 0;

        Parallel.For(0, 64, _ => inFlight.Fails("uid-1", "DataVolume", () => Interlocked.Increment(ref decisions) == 1));

        Assert.Equal(1, decisions);
        Assert.True(inFlight.Fails("uid-1", "DataVolume", () => false));
        Assert.False(inFlight.Fails("uid-1", "VirtualMachine", () => false));
    }

    [Fact]
    public void Forgetting_an_object_drops_its_steps_and_decisions_and_no_other()
    {
        var inFlight = new InFlightObjects();
        inFlight.StepStarted("uid-1", "bind", T0);
        inFlight.Fails("uid-1", "DataVolume", () => true);
        inFlight.StepStarted("uid-2", "bind", T0);

        inFlight.Forget("uid-1");

        Assert.Equal(1, inFlight.Count);
        Assert.Equal(T0.AddSeconds(9), inFlight.StepStarted("uid-1", "bind", T0.AddSeconds(9)));
        Assert.False(inFlight.Fails("uid-1", "DataVolume", () => false));
        Assert.Equal(T0, inFlight.StepStarted("uid-2", "bind", T0.AddSeconds(9)));
    }
}
