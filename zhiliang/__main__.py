from zhiliang.cli import main

main()
