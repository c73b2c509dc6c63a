META
key;value
description;Riverside fund: ranked
round;vector-ranked
budget;1000000
vote_type;ordinal
PROJECTS
project_id;cost;name;organisation;area
p1;300000;Walking group for carers;Riverside Food Bank;Riverside
p2;250000;Clwb garddio cymunedol;Cymdeithas Tai Glan-yr-afon;Glan-yr-afon
p3;200000;پارک کی صفائی اور نئے جھولے;Northbridge Mosque Trust;Northbridge
p4;150000;Łódka dla seniorów;Fundacja Żółty Dom;Moorfield
p5;120000;Men's shed workshop;Moorfield Harriers;Moorfield
p6;90000;Youth cookery club;Riverside Food Bank;Riverside
VOTES
voter_id;vote;sequence;channel
751d591be537aa9d0aa5dcb3b12155c1;p2,p3,p1;1;online
c139eca62ecef0863aefbaf01726373f;p6,p4,p5;2;online
b1ce6745949931bc05817a414606804a;p2,p1,p5;3;online
8f50ebbbfc9b9712322e90a8fd422273;p1,p4,p3;4;online
b29e904dca4c7477f8e629afdc4271df;p1,p2,p3;5;paper
62678c650fb5d064bf530bc7f730afe8;p3,p2,p1;6;online
2a6f4f1e34d07543d6f72739b2a8edde;p3,p2,p1;7;online
e748c6e698f7ce508007a85b4e4fcfce;p6,p3,p5;8;online
21baa9425be0545cdb60e5cd4a7dfaa1;p2,p6,p3;9;online
07bab4a19d2f2a84fff85226cc9a3a29;p3,p6,p1;10;paper
4923248d69c159aa97d7fba914077c46;p5,p3,p4;11;online
780c3a2a5d07b7020ab3d5a6a560e711;p5,p2,p6;12;online
9ca77e1f926a4698e9f8495681141d07;p2,p4,p3;13;online
b01e4d1525722846e4fa54343ceda4da;p1,p5,p3;14;online
632d5efa96dfc261024c57679a2f5295;p1,p3,p5;15;paper
33fe8cfd42ab2eef093d4b70e7377be5;p5,p2,p4;16;online
762a879bdd3a2a182c6962dfa39c0fa4;p4,p5,p3;17;online
c298d7af010cdbe258538d1c6df42a94;p4,p6,p2;18;online
5938ce9682c42da398163ca211fd3f5d;p2,p3,p5;19;online
86fe622e58a366dde2743c183aa33bbf;p1,p6,p5;20;paper
9f7ef2df6ca3937c752e8783049018ac;p4,p3,p6;21;online
e3699f31832a554532a7dd735524c69f;p6,p3,p2;22;online
8229db3746d8177cd09459cc24ef0448;p6,p2,p1;23;online
2d771f8008cd2e4127b9381ad1f4051f;p4,p2,p6;24;online
5ad670d1b988cdff0fc8eb165a665447;p3,p2,p6;25;paper
75e8d9471f92471e8bd62a0757316629;p4,p5,p3;26;online
eb0087bdee3f706913e3261d13a7aaaf;p6,p5,p2;27;online
90819886c36600969ac7cd17402ad96c;p3,p1,p5;28;online
60f2fd7a413d49f9558c74afe17a1a2b;p6,p2,p3;29;online
e6f5eb885b00fe6265d1857444013d4f;p5,p6,p2;30;paper
