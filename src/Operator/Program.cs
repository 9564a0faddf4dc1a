using Vers.Operator.Entities.Crds;
using Vers.Operator.Hosting;

namespace Vers.Operator;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["crds", ..])
        {
            var directory = args.Length > 1 ? args[1] : "config/crds";
            CrdGenerator.WriteTo(directory);
            Console.WriteLine($"Wrote {CrdGenerator.EntityTypes.Count} CRDs to {directory}");
            return 0;
        }

        return await OperatorHost.RunAsync(args);
    }
}
