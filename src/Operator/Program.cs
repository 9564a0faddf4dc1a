namespace Vers.Operator;

public static class Program
{
    public static int Main(string[] args) => 0;
}
