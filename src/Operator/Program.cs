using Vers.Operator.Entities.Crds;
using Vers.Operator.Hosting;

namespace Vers.Operator;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["crds", ..])
        {
            // The chart ships the same CRDs as config/crds; both are generated, and a test keeps them current.
            string[] directories = args.Length > 1 ? args[1..] : ["config/crds", "charts/vers/crds"];
            foreach (var directory in directories)
            {
                CrdGenerator.WriteTo(directory);
                Console.WriteLine($"Wrote {CrdGenerator.EntityTypes.Count} CRDs to {directory}");
            }

            return 0;
        }

        return await OperatorHost.RunAsync(args);
    }
}
